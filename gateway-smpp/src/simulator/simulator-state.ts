/** State shared by every connection of one simulated SMSC. */
import type { BindMode } from "../smsc-connection";
import type { WireSession } from "../smpp-wire";
import type { Inbox } from "./inbox";
import type { Scenario } from "./scenario";

export interface SimulatorStats {
  connections: number;
  binds: number;
  bindFailures: number;
  submitsReceived: number;
  accepted: number;
  throttled: number;
  queueFull: number;
  refused: number;
  /** PDUs refused as malformed (pdu-check.ts), by the status answered ("0x0000000B"). */
  malformed: Record<string, number>;
  /** Connections closed for not binding within the bind timeout. */
  bindTimeouts: number;
  /** Connections closed on arrival, over the connection cap. */
  connectionsRefused: number;
  unanswered: number;
  /** Highest number of unanswered submit_sm seen on one connection (the client's window). */
  maxUnansweredPerSession: number;
  receiptsSent: number;
  /** Receipts sent on another connection than the one that submitted the message. */
  receiptsOnOtherSession: number;
  receiptsAcked: number;
  receiptsRefused: number;
  receiptsWaitingForBind: number;
  enquireLinks: number;
  genericNacksSent: number;
  unbindsSent: number;
  connectionsDropped: number;
  connectionsMuted: number;
}

export function emptyStats(): SimulatorStats {
  return {
    connections: 0,
    binds: 0,
    bindFailures: 0,
    submitsReceived: 0,
    accepted: 0,
    throttled: 0,
    queueFull: 0,
    refused: 0,
    malformed: {},
    bindTimeouts: 0,
    connectionsRefused: 0,
    unanswered: 0,
    maxUnansweredPerSession: 0,
    receiptsSent: 0,
    receiptsOnOtherSession: 0,
    receiptsAcked: 0,
    receiptsRefused: 0,
    receiptsWaitingForBind: 0,
    enquireLinks: 0,
    genericNacksSent: 0,
    unbindsSent: 0,
    connectionsDropped: 0,
    connectionsMuted: 0,
  };
}

export interface SimSession {
  readonly wire: WireSession;
  systemId: string | undefined;
  mode: BindMode | undefined;
  unanswered: number;
  /** Half-open: the connection stays up, nothing on it is read or answered any more. */
  muted: boolean;
}

export interface ReceiptJob {
  systemId: string;
  /** The handset that "received" the message. */
  phone: string;
  /** The sender of the original message (becomes the receipt's destination). */
  sender: { ton: number; npi: number; addr: string };
  receiptId: string;
  stat: "DELIVRD" | "UNDELIV" | "EXPIRED" | "REJECTD";
  submittedAt: Date;
}

export interface SimulatorCore {
  scenario: Scenario;
  random: () => number;
  readonly credentials: ReadonlyMap<string, string>;
  readonly inbox: Inbox;
  readonly stats: SimulatorStats;
  readonly sessions: Set<SimSession>;
  /** Connections that have not bound by then are closed. */
  readonly bindTimeoutMs: number;
  nextMessageId(): number;
  /** Counts submits across connections (for "every n-th submit" behaviours). */
  countSubmit(): number;
  /** True if one more accepted submit for this system_id stays within the TPS limit. */
  withinRate(systemId: string, now: number): boolean;
  later(ms: number, action: () => void): void;
  sendReceipt(origin: SimSession | undefined, job: ReceiptJob): void;
}
