/**
 * One TCP (or TLS) connection to an SMSC, from connect to close: bind, a response timeout
 * on every request, enquire_link keepalive with a watchdog, and the answers the ESME owes
 * (deliver_sm_resp, enquire_link_resp, unbind_resp, generic_nack). It never reconnects:
 * the session above it does. The same code binds over a connection the SMSC opened to us and
 * on which it sent outbind (outbind-listener.ts): only who opened the socket differs.
 */
import type { ConnectionOptions as TlsConnectOptions } from "node:tls";
import { OtpError } from "@domain/errors";
import { STATUS, SmppStatusError } from "./smpp-status";
import { GENERIC_NACK, connectWire, type PduFields, type WirePdu, type WireSession } from "./smpp-wire";

export type BindMode = "transceiver" | "transmitter" | "receiver";

export interface BindCredentials {
  mode: BindMode;
  systemId: string;
  password: string;
  systemType?: string;
  addressRange?: string;
}

export interface SmscConnectionOptions {
  host: string;
  port: number;
  tls?: TlsConnectOptions;
  bind: BindCredentials;
  /** Connect + bind must finish within this. */
  bindTimeoutMs: number;
  responseTimeoutMs: number;
  enquireLinkIntervalMs: number;
  /** deliver_sm / data_sm from the SMSC; returns the command_status to answer with. */
  onInbound: (pdu: WirePdu) => number;
  /** alert_notification from the SMSC (SMPP 3.4 §4.12.1: no response PDU exists). */
  onAlertNotification?: (pdu: WirePdu) => void;
  /** Called once when the connection is gone, for whatever reason. */
  onClosed: (reason: string) => void;
  /** A response arrived for a request that had already timed out. */
  onLateResponse?: () => void;
}

export interface SmscConnection {
  /** Sends a request and resolves with its response (or a generic_nack). */
  request(command: string, fields?: PduFields, timeoutMs?: number): Promise<WirePdu>;
  readonly unanswered: number;
  /** Graceful end: unbind, wait briefly for unbind_resp, close. */
  unbind(): Promise<void>;
  destroy(reason: string): void;
}

interface Pending {
  resolve: (pdu: WirePdu) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const MAX_REMEMBERED_TIMEOUTS = 10_000;
const UNBIND_CLOSE_GRACE_MS = 500;
/** SMPP 3.4 defines no response to these (§4.1.7, §4.12). */
const NO_RESPONSE_COMMANDS = new Set(["alert_notification", "outbind"]);

/** Connects and binds; resolves once bound, rejects on failure (the socket is then closed). */
export function openSmscConnection(options: SmscConnectionOptions): Promise<SmscConnection> {
  const wire = connectWire({ host: options.host, port: options.port, tls: options.tls });
  return bindOver(wire, options, (bind) => wire.onConnect(bind));
}

export type AcceptedConnectionOptions = Omit<SmscConnectionOptions, "host" | "port" | "tls">;

/**
 * Binds over a connection the SMSC opened (after its outbind, SMPP 3.4 §2.2.1): the bind
 * request goes at once, on the SMSC's socket.
 */
export function bindOverAcceptedConnection(
  wire: WireSession,
  options: AcceptedConnectionOptions,
): Promise<SmscConnection> {
  return bindOver(wire, options, (bind) => bind());
}

/** One connection's requests awaiting responses, and how it ended. */
interface Link {
  wire: WireSession;
  options: AcceptedConnectionOptions;
  pending: Map<number, Pending>;
  /** Requests that timed out, so a response that comes later is counted as late. */
  timedOut: Set<number>;
  closed: boolean;
  closeReason: string;
  keepalive?: NodeJS.Timeout;
  enquireInFlight: boolean;
}

function bindOver(
  wire: WireSession,
  options: AcceptedConnectionOptions,
  whenConnected: (bind: () => void) => void,
): Promise<SmscConnection> {
  const link: Link = {
    wire,
    options,
    pending: new Map(),
    timedOut: new Set(),
    closed: false,
    closeReason: "connection closed",
    enquireInFlight: false,
  };
  wire.onPdu((pdu) =>
    pdu.isResponse || pdu.command === GENERIC_NACK ? onResponse(link, pdu) : onRequest(link, pdu),
  );
  wire.onError((err) => destroy(link, `connection error: ${err.message}`));
  wire.onClose(() => onClose(link));

  const connection: SmscConnection = {
    request: (command, fields, timeoutMs) => request(link, command, fields, timeoutMs),
    get unanswered() {
      return link.pending.size;
    },
    async unbind() {
      if (link.closed) return;
      clearInterval(link.keepalive);
      link.closeReason = "unbound";
      await request(link, "unbind").catch(() => undefined);
      closeAfterUnbind(link);
    },
    destroy: (reason) => destroy(link, reason),
  };
  return bind(link, connection, whenConnected);
}

function destroy(link: Link, reason: string): void {
  if (!link.closed) link.closeReason = reason;
  link.wire.destroy();
}

/**
 * After unbind / unbind_resp the ESME closes the connection. Ending our side only half-closes
 * it, and an SMSC that never closes its own (Net::SMPP does not) would keep it open: end it,
 * then destroy it if it is still open after a grace for the last writes.
 */
function closeAfterUnbind(link: Link): void {
  link.wire.close();
  setTimeout(() => link.wire.destroy(), UNBIND_CLOSE_GRACE_MS).unref();
}

function request(
  link: Link,
  command: string,
  fields: PduFields = {},
  timeoutMs = link.options.responseTimeoutMs,
): Promise<WirePdu> {
  return new Promise<WirePdu>((resolve, reject) => {
    const sequence = link.closed ? undefined : link.wire.send(command, fields);
    if (sequence === undefined) {
      reject(new OtpError("SMPP_NOT_BOUND", `${command} not sent: connection is not writable`));
      return;
    }
    const timer = setTimeout(() => {
      link.pending.delete(sequence);
      if (link.timedOut.size < MAX_REMEMBERED_TIMEOUTS) link.timedOut.add(sequence);
      reject(new OtpError("SMPP_RESPONSE_TIMEOUT", `no ${command}_resp within ${timeoutMs} ms`));
    }, timeoutMs);
    link.pending.set(sequence, { resolve, reject, timer });
  });
}

function onResponse(link: Link, pdu: WirePdu): void {
  const waiting = link.pending.get(pdu.sequence);
  if (waiting === undefined) {
    if (link.timedOut.delete(pdu.sequence)) link.options.onLateResponse?.();
    return;
  }
  link.pending.delete(pdu.sequence);
  clearTimeout(waiting.timer);
  waiting.resolve(pdu);
}

function onRequest(link: Link, pdu: WirePdu): void {
  const { wire, options } = link;
  switch (pdu.command) {
    case "enquire_link":
      wire.reply(pdu);
      return;
    case "unbind":
      wire.reply(pdu);
      link.closeReason = "unbound by the SMSC";
      closeAfterUnbind(link);
      return;
    case "deliver_sm":
    case "data_sm":
      wire.reply(pdu, {}, inboundStatus(options, pdu));
      return;
    case "alert_notification":
      options.onAlertNotification?.(pdu);
      return;
    case "unknown":
      wire.nack(pdu.sequence, STATUS.INVALID_COMMAND_ID);
      return;
    default:
      if (!NO_RESPONSE_COMMANDS.has(pdu.command)) wire.reply(pdu, {}, STATUS.INVALID_COMMAND_ID);
  }
}

function inboundStatus(options: AcceptedConnectionOptions, pdu: WirePdu): number {
  try {
    return options.onInbound(pdu);
  } catch {
    // Ask the SMSC to deliver it again later rather than lose a receipt.
    return STATUS.TEMPORARY_APP_ERROR;
  }
}

function enquireLink(link: Link): void {
  if (link.enquireInFlight || link.closed) return;
  link.enquireInFlight = true;
  request(link, "enquire_link").then(
    () => (link.enquireInFlight = false),
    () => destroy(link, "enquire_link unanswered: connection presumed dead"),
  );
}

function onClose(link: Link): void {
  link.closed = true;
  clearInterval(link.keepalive);
  for (const [, waiting] of link.pending) {
    clearTimeout(waiting.timer);
    waiting.reject(
      new OtpError("SMPP_RESPONSE_TIMEOUT", `connection closed before the response (${link.closeReason})`),
    );
  }
  link.pending.clear();
  link.options.onClosed(link.closeReason);
}

/** Sends the bind once connected; resolves once bound, rejects (and closes) on failure. */
function bind(
  link: Link,
  connection: SmscConnection,
  whenConnected: (bind: () => void) => void,
): Promise<SmscConnection> {
  const { wire, options } = link;
  return new Promise<SmscConnection>((resolve, reject) => {
    const bindTimer = setTimeout(() => destroy(link, "bind timed out"), options.bindTimeoutMs);
    wire.onClose(() => {
      clearTimeout(bindTimer);
      reject(new OtpError("SMPP_NOT_BOUND", `bind failed: ${link.closeReason}`));
    });
    whenConnected(() => {
      request(link, `bind_${options.bind.mode}`, bindFields(options.bind), options.bindTimeoutMs).then(
        (response) => {
          if (response.status !== STATUS.OK) {
            reject(new SmppStatusError("SMPP_NOT_BOUND", "bind refused", response.status));
            destroy(link, "bind refused");
            return;
          }
          clearTimeout(bindTimer);
          link.keepalive = setInterval(() => enquireLink(link), options.enquireLinkIntervalMs);
          resolve(connection);
        },
        (err: unknown) => {
          reject(err instanceof Error ? err : new Error(String(err)));
          destroy(link, "bind failed");
        },
      );
    });
  });
}

function bindFields(bind: BindCredentials): PduFields {
  return {
    system_id: bind.systemId,
    password: bind.password,
    system_type: bind.systemType ?? "",
    interface_version: 0x34,
    address_range: bind.addressRange ?? "",
  };
}
