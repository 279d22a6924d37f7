/**
 * Outbind (SMPP 3.4 §2.2.1, §4.1.7): an SMSC that holds receipts or MO messages for us may open
 * the TCP connection itself and send `outbind` (its system_id and password, so that we know it
 * is the SMSC we expect). We answer on that same connection with a bind (bind_receiver in 3.4;
 * bind_transceiver where an operator asks for it) using the account's own credentials, and from
 * then on it is a bind like the ones we open: deliver_sm answered, receipts to the account's
 * correlator, enquire_link and unbind answered.
 *
 * Nothing is submitted over such a bind: it lives as long as the SMSC wants it, so the account's
 * own binds carry the traffic. When it ends we do not reconnect; the SMSC outbinds again when it
 * has something to deliver. Off unless an account configures a listener.
 */
import { timingSafeEqual } from "node:crypto";
import { createInboundHandlers, type SmppLogger } from "./smsc-inbound";
import type { DeliveryReceipt } from "./delivery-receipt";
import { createSessionCounters, type SessionCounters } from "./session-counters";
import { bindOverAcceptedConnection, type BindCredentials, type SmscConnection } from "./smsc-connection";
import { STATUS } from "./smpp-status";
import { listenWire, type WirePdu, type WireSession } from "./smpp-wire";

export interface OutbindListenerOptions {
  /** Names the listener and its binds in logs ("<name>-1", "<name>-2"…). */
  name: string;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** What the SMSC must present in outbind. */
  smsc: { systemId: string; password: string };
  /** Our bind in answer: the account's credentials, receiver or transceiver. */
  bind: BindCredentials & { mode: "receiver" | "transceiver" };
  /** From accepting the connection to its outbind. */
  outbindTimeoutMs?: number;
  bindTimeoutMs?: number;
  responseTimeoutMs?: number;
  enquireLinkIntervalMs?: number;
  /** Outbind connections held at once; more are closed at accept. */
  maxConnections?: number;
  onReceipt?: (receipt: DeliveryReceipt, bindName: string) => void;
  onAlertNotification?: (bindName: string) => void;
  /** Each bind made in answer to an outbind, and each outbind refused (metrics). */
  onOutbind?: (accepted: boolean) => void;
  logger?: SmppLogger;
}

export interface OutbindStats {
  name: string;
  port: number;
  /** Binds open now over SMSC-opened connections. */
  bound: number;
  /** Connections closed without a bind: no outbind in time, another PDU first, wrong credentials. */
  refused: number;
  /** Shared by every outbind bind of the listener (binds, receipts, MO, alerts). */
  counters: Readonly<SessionCounters>;
}

export interface OutbindListener {
  readonly port: number;
  stats(): OutbindStats;
  /** Stops listening, unbinds the open binds, closes what is left. */
  close(): Promise<void>;
}

const DEFAULTS = {
  outbindTimeoutMs: 10_000,
  bindTimeoutMs: 10_000,
  responseTimeoutMs: 10_000,
  enquireLinkIntervalMs: 30_000,
  maxConnections: 4,
};

const silentLogger: SmppLogger = { info: () => undefined, warn: () => undefined };

export async function startOutbindListener(options: OutbindListenerOptions): Promise<OutbindListener> {
  const settings = { ...DEFAULTS, ...options };
  const log = options.logger ?? silentLogger;
  const counters = createSessionCounters();
  const open = new Set<WireSession>();
  const bound = new Set<SmscConnection>();
  let refused = 0;
  let serial = 0;
  let closing = false;

  const refuse = (wire: WireSession, reason: string): void => {
    refused++;
    options.onOutbind?.(false);
    log.warn("smpp outbind refused", { listener: options.name, from: wire.remoteAddress, reason });
    wire.destroy();
  };

  const bindAfterOutbind = (wire: WireSession, name: string): void => {
    const inbound = createInboundHandlers({
      name,
      counters,
      log,
      onReceipt: options.onReceipt,
      onAlertNotification: options.onAlertNotification,
    });
    let connection: SmscConnection | undefined;
    bindOverAcceptedConnection(wire, {
      bind: options.bind,
      bindTimeoutMs: settings.bindTimeoutMs,
      responseTimeoutMs: settings.responseTimeoutMs,
      enquireLinkIntervalMs: settings.enquireLinkIntervalMs,
      onInbound: inbound.onInbound,
      onAlertNotification: inbound.onAlertNotification,
      onLateResponse: () => counters.lateResponses++,
      onClosed: (reason) => {
        if (connection === undefined) return;
        bound.delete(connection);
        log.info("smpp outbind bind closed", { session: name, reason });
      },
    }).then(
      (opened) => {
        if (closing) return void opened.unbind();
        connection = opened;
        bound.add(opened);
        counters.binds++;
        options.onOutbind?.(true);
        log.info("smpp session state", { session: name, state: "bound", via: "outbind" });
      },
      (err: unknown) => {
        // The SMSC refused our bind or went away: nothing to retry, it outbinds again.
        log.warn("smpp bind after outbind failed", {
          session: name,
          reason: err instanceof Error ? err.message : String(err),
        });
      },
    );
  };

  const accept = (wire: WireSession): void => {
    if (closing || open.size >= settings.maxConnections) {
      refuse(wire, closing ? "closing" : `more than ${settings.maxConnections} outbind connections`);
      return;
    }
    open.add(wire);
    wire.onClose(() => open.delete(wire));
    wire.onError(() => wire.destroy());
    let first = true;
    const timer = setTimeout(() => refuse(wire, "no outbind in time"), settings.outbindTimeoutMs);
    wire.onClose(() => clearTimeout(timer));
    // Only the first PDU is ours; after the bind the connection's own listener reads the rest.
    wire.onPdu((pdu) => {
      if (!first) return;
      first = false;
      clearTimeout(timer);
      const problem = outbindProblem(pdu, options.smsc);
      if (problem !== undefined) {
        // Any other request before a bind is out of place; outbind itself has no answer.
        if (pdu.command !== "outbind" && !pdu.isResponse) wire.nack(pdu.sequence, STATUS.INVALID_BIND_STATUS);
        refuse(wire, problem);
        return;
      }
      serial++;
      bindAfterOutbind(wire, `${options.name}-${serial}`);
    });
  };

  const server = await listenWire({ host: settings.host, port: settings.port }, accept);
  log.info("smpp outbind listener", { listener: options.name, port: server.port });

  return {
    port: server.port,
    stats: () => ({
      name: options.name,
      port: server.port,
      bound: bound.size,
      refused,
      counters: { ...counters },
    }),
    async close() {
      closing = true;
      await Promise.all([...bound].map((connection) => connection.unbind()));
      await server.close();
    },
  };
}

/** Why an outbind is not accepted, or undefined when it is the SMSC we expect. */
function outbindProblem(pdu: WirePdu, smsc: { systemId: string; password: string }): string | undefined {
  if (pdu.command !== "outbind") return `${pdu.command} before outbind`;
  const systemId = pdu.string("system_id") ?? "";
  const password = pdu.string("password") ?? "";
  // Both compared whatever the first gives, in constant time: a guess learns nothing from timing.
  const idOk = sameSecret(systemId, smsc.systemId);
  const passwordOk = sameSecret(password, smsc.password);
  return idOk && passwordOk ? undefined : "unknown system_id or wrong password";
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given.padEnd(16, "\0"));
  const b = Buffer.from(expected.padEnd(16, "\0"));
  return a.length === b.length && timingSafeEqual(a, b) && given.length === expected.length;
}
