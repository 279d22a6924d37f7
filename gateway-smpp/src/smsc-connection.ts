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

function bindOver(
  wire: WireSession,
  options: AcceptedConnectionOptions,
  whenConnected: (bind: () => void) => void,
): Promise<SmscConnection> {
  const pending = new Map<number, Pending>();
  const timedOut = new Set<number>();
  let closed = false;
  let closeReason = "connection closed";
  let keepalive: NodeJS.Timeout | undefined;
  let enquireInFlight = false;

  const destroy = (reason: string): void => {
    if (!closed) closeReason = reason;
    wire.destroy();
  };

  // After unbind / unbind_resp the ESME closes the connection. Ending our side only half-closes
  // it, and an SMSC that never closes its own (Net::SMPP does not) would keep it open: end it,
  // then destroy it if it is still open after a grace for the last writes.
  const closeAfterUnbind = (): void => {
    wire.close();
    setTimeout(() => wire.destroy(), UNBIND_CLOSE_GRACE_MS).unref();
  };

  const request = (command: string, fields: PduFields = {}, timeoutMs = options.responseTimeoutMs) =>
    new Promise<WirePdu>((resolve, reject) => {
      const sequence = closed ? undefined : wire.send(command, fields);
      if (sequence === undefined) {
        reject(new OtpError("SMPP_NOT_BOUND", `${command} not sent: connection is not writable`));
        return;
      }
      const timer = setTimeout(() => {
        pending.delete(sequence);
        if (timedOut.size < MAX_REMEMBERED_TIMEOUTS) timedOut.add(sequence);
        reject(new OtpError("SMPP_RESPONSE_TIMEOUT", `no ${command}_resp within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(sequence, { resolve, reject, timer });
    });

  const onResponse = (pdu: WirePdu): void => {
    const waiting = pending.get(pdu.sequence);
    if (waiting === undefined) {
      if (timedOut.delete(pdu.sequence)) options.onLateResponse?.();
      return;
    }
    pending.delete(pdu.sequence);
    clearTimeout(waiting.timer);
    waiting.resolve(pdu);
  };

  const onRequest = (pdu: WirePdu): void => {
    switch (pdu.command) {
      case "enquire_link":
        wire.reply(pdu);
        return;
      case "unbind":
        wire.reply(pdu);
        closeReason = "unbound by the SMSC";
        closeAfterUnbind();
        return;
      case "deliver_sm":
      case "data_sm":
        wire.reply(pdu, {}, inboundStatus(pdu));
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
  };

  const inboundStatus = (pdu: WirePdu): number => {
    try {
      return options.onInbound(pdu);
    } catch {
      // Ask the SMSC to deliver it again later rather than lose a receipt.
      return STATUS.TEMPORARY_APP_ERROR;
    }
  };

  const enquireLink = (): void => {
    if (enquireInFlight || closed) return;
    enquireInFlight = true;
    request("enquire_link").then(
      () => (enquireInFlight = false),
      () => destroy("enquire_link unanswered: connection presumed dead"),
    );
  };

  wire.onPdu((pdu) => (pdu.isResponse || pdu.command === GENERIC_NACK ? onResponse(pdu) : onRequest(pdu)));
  wire.onError((err) => destroy(`connection error: ${err.message}`));
  wire.onClose(() => {
    closed = true;
    clearInterval(keepalive);
    for (const [, waiting] of pending) {
      clearTimeout(waiting.timer);
      waiting.reject(
        new OtpError("SMPP_RESPONSE_TIMEOUT", `connection closed before the response (${closeReason})`),
      );
    }
    pending.clear();
    options.onClosed(closeReason);
  });

  const connection: SmscConnection = {
    request,
    get unanswered() {
      return pending.size;
    },
    async unbind() {
      if (closed) return;
      clearInterval(keepalive);
      closeReason = "unbound";
      await request("unbind").catch(() => undefined);
      closeAfterUnbind();
    },
    destroy,
  };

  return new Promise<SmscConnection>((resolve, reject) => {
    const bindTimer = setTimeout(() => destroy("bind timed out"), options.bindTimeoutMs);
    wire.onClose(() => {
      clearTimeout(bindTimer);
      reject(new OtpError("SMPP_NOT_BOUND", `bind failed: ${closeReason}`));
    });
    whenConnected(() => {
      request(`bind_${options.bind.mode}`, bindFields(options.bind), options.bindTimeoutMs).then(
        (response) => {
          if (response.status !== STATUS.OK) {
            reject(new SmppStatusError("SMPP_NOT_BOUND", "bind refused", response.status));
            destroy("bind refused");
            return;
          }
          clearTimeout(bindTimer);
          keepalive = setInterval(enquireLink, options.enquireLinkIntervalMs);
          resolve(connection);
        },
        (err: unknown) => {
          reject(err instanceof Error ? err : new Error(String(err)));
          destroy("bind failed");
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
