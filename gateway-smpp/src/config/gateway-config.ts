/**
 * The gateway's configuration: SMSC accounts (where and how to bind), routes (a route name
 * from DispatchRequested → the accounts that carry it, in order of preference), the message
 * texts per tenant, and dispatch settings. parse-config.ts builds it from JSON.
 */
import type { ConnectionOptions as TlsConnectOptions } from "node:tls";

/** Transceiver binds, or pairs of a transmitter and a receiver bind. */
export const BIND_MODES = ["transceiver", "transmitter-receiver"] as const;
export type BindModeSetting = (typeof BIND_MODES)[number];

export interface AccountConfig {
  name: string;
  host: string;
  port: number;
  /** TLS options when the SMSC offers SMPP over TLS; undefined for plain TCP. */
  tls: TlsConnectOptions | undefined;
  systemId: string;
  /** Never logged: see describeConfig(). */
  password: string;
  systemType: string;
  bindMode: BindModeSetting;
  /** Transceivers, or transmitter + receiver pairs. */
  binds: number;
  /** Max unanswered submit_sm per bind. */
  window: number;
  /** Messages per second per bind. */
  tps: number;
  responseTimeoutMs: number;
  enquireLinkIntervalMs: number;
  /** How long a submit waits for a bind to come (back). */
  notBoundWaitMs: number;
  reconnect: { initialMs: number; maxMs: number };
  /** A listener for the SMSC's outbind; undefined (the default): none. */
  outbind: OutbindConfig | undefined;
}

/** Where the SMSC may connect to us to outbind, and what it must present (SMPP 3.4 §2.2.1). */
export interface OutbindConfig {
  host: string;
  port: number;
  /** The SMSC's system_id and password in its outbind; never logged. */
  smscSystemId: string;
  smscPassword: string;
  /** Our bind in answer: receiver (SMPP 3.4) or transceiver (where the operator wants one). */
  bindMode: "receiver" | "transceiver";
  maxConnections: number;
}

/** How one tenant's SMS reads. Templates are keyed by language ("id", "en", "fil"...). */
export interface TenantMessages {
  /** Shown as {brand}; defaults to the tenant's SMS sender id. */
  brand: string | undefined;
  /** Android SMS Retriever app hash (11 characters); adds "<#>" and the hash line. */
  appHash: string | undefined;
  templates: Record<string, string>;
}

export interface DispatchSettings {
  /** Consumer group on the verifications topic. */
  consumerGroup: string;
  /** Partitions handled at once (each run of a partition waits for its reports before the next). */
  partitionConcurrency: number;
  /**
   * Dispatches handled at once by the process, across its partitions' runs; undefined: twice
   * the windows of the transmitting binds (what a crash may leave UNKNOWN stays about that).
   */
  maxInFlight: number | undefined;
  /** A code with less life left is dropped (reported EXPIRED), not sent. */
  minRemainingSeconds: number;
  /** How long attempt claims and message ids outlive the code (late receipts, redeliveries). */
  stateGraceMs: number;
  /** An unmatched receipt is held this long in memory (the response may be on its way). */
  localReceiptHoldMs: number;
  /** Then looked up in the store for this long (another replica may be recording it). */
  receiptLookupMs: number;
  /** A redelivered dispatch found in flight elsewhere is waited for this long at most. */
  inFlightWaitMs: number;
}

export interface GatewayConfig {
  accounts: Record<string, AccountConfig>;
  /** Route name → account names, most preferred first. */
  routes: Record<string, string[]>;
  /** For dispatches without a route or with one not configured here. */
  defaultRoute: string | undefined;
  messages: { default: TenantMessages; tenants: Record<string, TenantMessages> };
  dispatch: DispatchSettings;
}

/** The configuration without secrets, for logs. */
export function describeConfig(config: GatewayConfig): Record<string, unknown> {
  return {
    accounts: Object.values(config.accounts).map((a) => ({
      name: a.name,
      endpoint: `${a.host}:${a.port}`,
      tls: a.tls !== undefined,
      systemId: a.systemId,
      bindMode: a.bindMode,
      binds: a.binds,
      window: a.window,
      tps: a.tps,
      outbind:
        a.outbind === undefined ? "off" : `${a.outbind.host}:${a.outbind.port} (${a.outbind.bindMode})`,
    })),
    routes: config.routes,
    defaultRoute: config.defaultRoute ?? "",
    tenantsWithMessages: Object.keys(config.messages.tenants),
  };
}
