/**
 * Typed facade over the `smpp` package: the only file that touches its untyped objects.
 * It moves PDUs on a socket and nothing more; timeouts, windows, retries and reconnects
 * live in the session code above it.
 */
import type { Server as NetServer } from "node:net";
import type { ConnectionOptions as TlsConnectOptions } from "node:tls";
import * as smpp from "smpp";

export type FieldValue = string | number | Buffer;
export type PduFields = Readonly<Record<string, FieldValue | undefined>>;

export const GENERIC_NACK = "generic_nack";

export interface ShortMessage {
  /** User data header information elements, each as [iei, length, ...data]. */
  udh: Buffer[];
  /** Text decoded by the package for data_coding 0 (GSM 03.38), 1, 3 and 8; raw bytes otherwise. */
  text: string | undefined;
  bytes: Buffer | undefined;
}

/** One received PDU, read through typed accessors. */
export class WirePdu {
  readonly #pdu: smpp.PDU;

  constructor(pdu: smpp.PDU) {
    this.#pdu = pdu;
  }

  get command(): string {
    return this.#pdu.command;
  }
  get commandId(): number {
    return this.#pdu.command_id;
  }
  get status(): number {
    return this.#pdu.command_status;
  }
  get sequence(): number {
    return this.#pdu.sequence_number;
  }
  get isResponse(): boolean {
    return this.#pdu.isResponse();
  }

  string(field: string): string | undefined {
    const value = this.#pdu[field];
    return typeof value === "string" ? value : undefined;
  }

  number(field: string): number | undefined {
    const value = this.#pdu[field];
    return typeof value === "number" ? value : undefined;
  }

  date(field: string): Date | undefined {
    const value = this.#pdu[field];
    return value instanceof Date ? value : undefined;
  }

  shortMessage(): ShortMessage | undefined {
    return readShortMessage(this.#pdu.short_message);
  }

  /** Builds the matching response (or generic_nack for an unknown command). */
  response(fields: PduFields, status: number): smpp.PDU {
    return this.#pdu.response(status === 0 ? { ...fields } : { command_status: status });
  }
}

function readShortMessage(value: unknown): ShortMessage | undefined {
  if (Buffer.isBuffer(value)) return { udh: [], text: undefined, bytes: value };
  if (typeof value !== "object" || value === null) return undefined;
  const udh: unknown = "udh" in value ? value.udh : undefined;
  const message: unknown = "message" in value ? value.message : undefined;
  return {
    udh: Array.isArray(udh) ? udh.filter((ie): ie is Buffer => Buffer.isBuffer(ie)) : [],
    text: typeof message === "string" ? message : undefined,
    bytes: Buffer.isBuffer(message) ? message : undefined,
  };
}

/** One SMPP connection, client or server side. */
export interface WireSession {
  /** Sends a request; returns its sequence number, or undefined when the socket is not writable. */
  send(command: string, fields?: PduFields): number | undefined;
  /** Answers a received request (status 0 with fields, or an error status without a body). */
  reply(to: WirePdu, fields?: PduFields, status?: number): boolean;
  /** generic_nack for a request that could not be understood. */
  nack(sequence: number, status: number): boolean;
  onPdu(listener: (pdu: WirePdu) => void): void;
  onConnect(listener: () => void): void;
  onClose(listener: () => void): void;
  /** Socket errors and PDU parse errors; after a parse error the package stops reading. */
  onError(listener: (err: Error) => void): void;
  /** Ends the socket after pending writes. */
  close(): void;
  destroy(): void;
  readonly remoteAddress: string;
}

function wrapSession(session: smpp.Session, tls: boolean): WireSession {
  const write = (pdu: smpp.PDU): boolean => session.send(pdu);
  return {
    send(command, fields = {}) {
      const pdu = new smpp.PDU(command, { ...fields });
      return write(pdu) ? pdu.sequence_number : undefined;
    },
    reply(to, fields = {}, status = 0) {
      return write(to.response(fields, status));
    },
    nack(sequence, status) {
      return write(new smpp.PDU(GENERIC_NACK, { sequence_number: sequence, command_status: status }));
    },
    onPdu(listener) {
      session.on("pdu", (pdu: smpp.PDU) => listener(new WirePdu(pdu)));
    },
    onConnect(listener) {
      session.on(tls ? "secureConnect" : "connect", listener);
    },
    onClose(listener) {
      session.on("close", listener);
    },
    onError(listener) {
      session.on("error", listener);
    },
    close: () => session.close(),
    destroy: () => session.destroy(),
    get remoteAddress() {
      return `${session.socket.remoteAddress ?? "?"}:${session.socket.remotePort ?? "?"}`;
    },
  };
}

export interface WireConnectOptions {
  host: string;
  port: number;
  /** Present = SMPP over TLS (ca, servername, rejectUnauthorized, ...). */
  tls?: TlsConnectOptions;
}

export function connectWire(options: WireConnectOptions): WireSession {
  const tls = options.tls !== undefined;
  const session = smpp.connect({ ...(options.tls ?? {}), host: options.host, port: options.port, tls });
  return wrapSession(session, tls);
}

export interface WireServerOptions {
  port: number;
  host?: string;
  tls?: { key: string | Buffer; cert: string | Buffer };
}

export interface WireServer {
  readonly port: number;
  /** Stops listening and destroys every open session. */
  close(): Promise<void>;
}

export async function listenWire(
  options: WireServerOptions,
  onSession: (session: WireSession) => void,
): Promise<WireServer> {
  const open = new Set<smpp.Session>();
  const server: NetServer = smpp.createServer(options.tls ?? {}, (session) => {
    open.add(session);
    session.on("close", () => open.delete(session));
    // Keep the process alive on socket errors; the session's own listeners report them.
    session.on("error", () => undefined);
    onSession(wrapSession(session, false));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of open) session.destroy();
        server.close(() => resolve());
      }),
  };
}
