/**
 * Minimal declarations for the parts of `smpp` 0.5.1 (untyped) that smpp-wire.ts uses.
 * Nothing outside smpp-wire.ts imports "smpp" directly.
 */
declare module "smpp" {
  import type { EventEmitter } from "node:events";
  import type { Server as NetServer } from "node:net";

  export type PduValue =
    string | number | Buffer | Date | Buffer[] | { udh?: Buffer[]; message?: string | Buffer };

  export class PDU {
    constructor(command: string, options?: Record<string, PduValue | undefined>);
    /** Parses a whole PDU (command_length first); throws on some malformed ones. */
    constructor(buffer: Buffer);
    command: string;
    command_id: number;
    command_status: number;
    sequence_number: number;
    isResponse(): boolean;
    response(options?: Record<string, PduValue | undefined>): PDU;
    toBuffer(): Buffer;
    [field: string]: unknown;
  }

  export class Session extends EventEmitter {
    readonly socket: import("node:net").Socket;
    send(pdu: PDU): boolean;
    close(callback?: () => void): void;
    destroy(callback?: () => void): void;
  }

  export interface ConnectOptions {
    host: string;
    port: number;
    tls?: boolean;
    [tlsOption: string]: unknown;
  }

  export function connect(options: ConnectOptions): Session;

  export interface ServerOptions {
    key?: string | Buffer;
    cert?: string | Buffer;
  }

  export function createServer(options: ServerOptions, listener: (session: Session) => void): NetServer;
}
