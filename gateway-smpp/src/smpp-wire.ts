/**
 * Typed facade over the `smpp` package: the only file that touches its untyped objects.
 * It moves PDUs on a socket and nothing more; timeouts, windows, retries and reconnects
 * live in the session code above it.
 *
 * Client sessions use the package's own session. Server sessions (the SMSC simulator) frame
 * PDUs here, as a strict SMSC must: the package reads a command_length of 0 as "no data yet"
 * and waits for ever, and stops reading after a PDU it cannot parse. Here a command_length
 * below 16 or above `maxPduLength` is answered with generic_nack ESME_RINVCMDLEN and the
 * connection closed (the stream cannot be re-synchronised), a PDU whose header came without
 * its body within `incompletePduTimeoutMs` likewise, and every PDU keeps its raw octets
 * (`WirePdu.body`) for checks the package does not make.
 */
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { createServer as createTlsServer, type ConnectionOptions as TlsConnectOptions } from "node:tls";
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

/** A PDU's octets as the package writes them (tests check what the gateway puts on the wire). */
export function encodePdu(command: string, fields: PduFields = {}): Buffer {
  return new smpp.PDU(command, { ...fields, sequence_number: 1 }).toBuffer();
}

/** One received PDU, read through typed accessors. */
export class WirePdu {
  readonly #pdu: smpp.PDU;
  /** The octets after the 16-octet header, when this side framed the PDU itself (server). */
  readonly body: Buffer | undefined;

  constructor(pdu: smpp.PDU, body?: Buffer) {
    this.#pdu = pdu;
    this.body = body;
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
  // SMPP is request and response: Nagle's algorithm would hold a PDU until the peer acknowledged
  // the last one, and the peer delays its acknowledgements (40 ms on Linux). Same-tick PDUs
  // already leave in one write (below).
  session.socket.setNoDelay(true);
  // PDUs written in the same tick leave in one write: a window of submits, or the answers to a
  // burst of receipts, would otherwise cost a system call each (the package writes every PDU
  // at once). Nothing waits longer than the current tick.
  let corked = false;
  const uncork = (): void => {
    corked = false;
    session.socket.uncork();
  };
  const write = (pdu: smpp.PDU): boolean => {
    if (!corked && session.socket.writable) {
      corked = true;
      session.socket.cork();
      process.nextTick(uncork);
    }
    return session.send(pdu);
  };
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
  /** Largest command_length accepted (default 65,536). */
  maxPduLength?: number;
  /** How long a PDU may stay incomplete (header without its whole body; default 10 s). */
  incompletePduTimeoutMs?: number;
  /** Open connections at most; a connection beyond it is closed at once (default 64). */
  maxConnections?: number;
  /** Told of each connection closed for the cap. */
  onRefused?: () => void;
}

export interface WireServer {
  readonly port: number;
  /** Stops listening and destroys every open session. */
  close(): Promise<void>;
}

/** A framing error: what to answer (generic_nack with this status) before closing. */
export class WireFrameError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly sequence: number,
  ) {
    super(message);
    this.name = "WireFrameError";
  }
}

const HEADER_LENGTH = 16;
const INVALID_COMMAND_LENGTH = 0x02;

export async function listenWire(
  options: WireServerOptions,
  onSession: (session: WireSession) => void,
): Promise<WireServer> {
  const open = new Set<Socket>();
  const maxConnections = options.maxConnections ?? 64;
  const accept = (socket: Socket): void => {
    // Each connection costs a socket and a session's timers before it binds: a cap keeps a flood
    // of connections (or a client reconnecting in a loop) from exhausting the process.
    if (open.size >= maxConnections) {
      socket.on("error", () => undefined);
      socket.destroy();
      options.onRefused?.();
      return;
    }
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    socket.setNoDelay(true); // request and response: see wrapSession
    // Keep the process alive on socket errors; the session's own listeners report them.
    socket.on("error", () => undefined);
    onSession(framedSession(socket, options));
  };
  const server: NetServer =
    options.tls === undefined
      ? createNetServer(accept)
      : createTlsServer({ key: options.tls.key, cert: options.tls.cert }, accept);
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
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A server-side session over a socket, framing PDUs itself. */
function framedSession(socket: Socket, options: WireServerOptions): WireSession {
  const maxLength = options.maxPduLength ?? 65_536;
  const incompleteMs = options.incompletePduTimeoutMs ?? 10_000;
  const pduListeners: Array<(pdu: WirePdu) => void> = [];
  const errorListeners: Array<(err: Error) => void> = [];
  let buffered: Buffer = Buffer.alloc(0);
  let sequence = 0;
  let failed = false;
  let incompleteTimer: NodeJS.Timeout | undefined;

  const write = (pdu: smpp.PDU): boolean => {
    if (!socket.writable) return false;
    socket.write(pdu.toBuffer());
    return true;
  };
  const fail = (err: WireFrameError): void => {
    if (failed) return;
    failed = true;
    clearTimeout(incompleteTimer);
    socket.pause();
    for (const listener of errorListeners) listener(err);
  };
  const frames = (): void => {
    while (!failed && buffered.length >= 4) {
      const length = buffered.readUInt32BE(0);
      const seq = buffered.length >= HEADER_LENGTH ? buffered.readUInt32BE(12) : 0;
      if (length < HEADER_LENGTH || length > maxLength) {
        return fail(new WireFrameError(`command_length ${length}`, INVALID_COMMAND_LENGTH, seq));
      }
      if (buffered.length < length) break;
      const frame = buffered.subarray(0, length);
      buffered = buffered.subarray(length);
      deliver(frame);
    }
    clearTimeout(incompleteTimer);
    incompleteTimer = undefined;
    if (!failed && buffered.length > 0) {
      incompleteTimer = setTimeout(
        () => fail(new WireFrameError("incomplete PDU", INVALID_COMMAND_LENGTH, 0)),
        incompleteMs,
      );
    }
  };
  const deliver = (frame: Buffer): void => {
    let pdu: smpp.PDU;
    try {
      pdu = new smpp.PDU(Buffer.from(frame));
    } catch {
      // The frame is whole, so the stream goes on: this PDU alone is refused.
      write(new smpp.PDU(GENERIC_NACK, { sequence_number: frame.readUInt32BE(12), command_status: 0x02 }));
      return;
    }
    const wire = new WirePdu(pdu, Buffer.from(frame.subarray(HEADER_LENGTH)));
    for (const listener of pduListeners) listener(wire);
  };
  socket.on("data", (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    frames();
  });
  socket.on("close", () => clearTimeout(incompleteTimer));

  return {
    send(command, fields = {}) {
      sequence = sequence >= 0x7fffffff ? 1 : sequence + 1;
      const pdu = new smpp.PDU(command, { ...fields, sequence_number: sequence });
      return write(pdu) ? sequence : undefined;
    },
    reply: (to, fields = {}, status = 0) => write(to.response(fields, status)),
    nack: (seq, status) =>
      write(new smpp.PDU(GENERIC_NACK, { sequence_number: seq, command_status: status })),
    onPdu: (listener) => void pduListeners.push(listener),
    onConnect: () => undefined,
    onClose: (listener) => void socket.on("close", listener),
    onError: (listener) => {
      errorListeners.push(listener);
      socket.on("error", listener);
    },
    close: () => void socket.end(),
    destroy: () => void socket.destroy(),
    get remoteAddress() {
      return `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
    },
  };
}
