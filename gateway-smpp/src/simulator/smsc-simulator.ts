/**
 * A simulated operator SMSC speaking real SMPP 3.4 (server mode of the `smpp` package): it
 * accepts binds, answers submit_sm as the scenario says, keeps an inbox of what the handsets
 * received and sends delivery receipts (deliver_sm, esm_class 0x04, with the TLVs and the
 * standard receipt text) on the submitting bind or another bind of the same system_id.
 */
import {
  ESM_CLASS_DELIVERY_RECEIPT,
  MESSAGE_STATE_BY_STATUS,
  formatReceiptText,
  type ReceiptStatus,
} from "../delivery-receipt";
import { listenWire } from "../smpp-wire";
import { NPI, TON } from "../submit-sm";
import { createInbox, type Inbox } from "./inbox";
import { seededRandom } from "./rng";
import { parseScenario, type ReceiptStat, type Scenario } from "./scenario";
import { attachSimulatorSession } from "./simulator-session";
import {
  emptyStats,
  type ReceiptJob,
  type SimSession,
  type SimulatorCore,
  type SimulatorStats,
} from "./simulator-state";

export interface SimulatorOptions {
  /** 0 = any free port. */
  port?: number;
  host?: string;
  /** system_id → password of the accounts that may bind. */
  credentials: Record<string, string>;
  scenario?: Scenario;
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Connections that do not bind within this are closed (default 30 s). */
  bindTimeoutMs?: number;
  /** Open connections at most; more are closed on arrival (default 64). */
  maxConnections?: number;
  /** A PDU whose header came without its whole body by then closes the connection (default 10 s). */
  incompletePduTimeoutMs?: number;
}

export interface SmscSimulator {
  readonly port: number;
  readonly inbox: Inbox;
  readonly scenario: Scenario;
  /** Validates and applies a scenario (the seed restarts the outcome sequence). */
  setScenario(scenario: unknown): void;
  /**
   * Drops every open connection at once, as an SMSC restarting does: with an unbind first
   * (`unbind`), or by closing the sockets. Submits not answered yet stay unanswered, even when
   * their messages were accepted. Returns how many connections were dropped.
   */
  dropConnections(options?: { unbind?: boolean }): number;
  /**
   * Half-open connections: those open now stay up but nothing on them is read or answered any
   * more (no responses, no enquire_link_resp, no receipts), as when a network path dies
   * silently; connections opened later work. Returns how many were muted.
   */
  muteConnections(): number;
  stats(): SimulatorStats;
  close(): Promise<void>;
}

const STATUS_BY_STAT: Readonly<Record<ReceiptStat, ReceiptStatus>> = {
  DELIVRD: "delivered",
  UNDELIV: "undeliverable",
  EXPIRED: "expired",
  REJECTD: "rejected",
};

export async function startSmscSimulator(options: SimulatorOptions): Promise<SmscSimulator> {
  const timers = new Set<NodeJS.Timeout>();
  const waitingForBind: ReceiptJob[] = [];
  const core = createSimulatorCore(options, timers, waitingForBind);
  const server = await listenWire(
    {
      port: options.port ?? 0,
      host: options.host,
      tls: options.tls,
      incompletePduTimeoutMs: options.incompletePduTimeoutMs,
      maxConnections: options.maxConnections,
      onRefused: () => core.stats.connectionsRefused++,
    },
    (wire) => {
      attachSimulatorSession(core, wire);
      wire.onPdu((pdu) => {
        if (pdu.command.startsWith("bind_") && waitingForBind.length > 0)
          core.later(0, () => flushWaiting(core, waitingForBind));
      });
    },
  );

  return {
    port: server.port,
    inbox: core.inbox,
    get scenario() {
      return core.scenario;
    },
    setScenario(input) {
      core.scenario = parseScenario(input);
      core.random = seededRandom(core.scenario.seed ?? 1);
    },
    dropConnections: (dropOptions = {}) => dropConnections(core, dropOptions),
    muteConnections() {
      const open = [...core.sessions].filter((s) => !s.muted);
      for (const session of open) session.muted = true;
      core.stats.connectionsMuted += open.length;
      return open.length;
    },
    stats: () => ({ ...core.stats, malformed: { ...core.stats.malformed } }),
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await server.close();
    },
  };
}

/** What every simulated connection shares: scenario, credentials, inbox, counters, timers. */
function createSimulatorCore(
  options: SimulatorOptions,
  timers: Set<NodeJS.Timeout>,
  waitingForBind: ReceiptJob[],
): SimulatorCore {
  const throttleWindows = new Map<string, { second: number; count: number }>();
  let messageId = 100_000;
  let submits = 0;
  const core: SimulatorCore = {
    scenario: parseScenario(options.scenario ?? {}),
    random: seededRandom(options.scenario?.seed ?? 1),
    credentials: new Map(Object.entries(options.credentials)),
    inbox: createInbox(),
    stats: emptyStats(),
    sessions: new Set(),
    bindTimeoutMs: options.bindTimeoutMs ?? 30_000,
    nextMessageId: () => ++messageId,
    countSubmit: () => ++submits,
    withinRate(systemId, now) {
      const limit = core.scenario.throttlePerSecond;
      if (limit === undefined) return true;
      const second = Math.floor(now / 1000);
      const window = throttleWindows.get(systemId);
      const current = window?.second === second ? window : { second, count: 0 };
      throttleWindows.set(systemId, current);
      if (current.count >= limit) return false;
      current.count++;
      return true;
    },
    later(ms, action) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        action();
      }, ms);
      timers.add(timer);
    },
    sendReceipt(origin, job) {
      deliverReceipt(core, waitingForBind, origin, job);
      const copies = core.scenario.receiptCopies ?? 1;
      for (let copy = 1; copy < copies; copy++) {
        core.later(copy * (core.scenario.receiptRepeatMs ?? 50), () =>
          deliverReceipt(core, waitingForBind, origin, job),
        );
      }
    },
  };
  return core;
}

function deliverReceipt(
  core: SimulatorCore,
  waitingForBind: ReceiptJob[],
  origin: SimSession | undefined,
  job: ReceiptJob,
): void {
  const target = receiptTarget(core, origin, job.systemId);
  if (target === undefined) {
    waitingForBind.push(job);
    core.stats.receiptsWaitingForBind = waitingForBind.length;
    return;
  }
  target.wire.send("deliver_sm", receiptFields(job, new Date()));
  core.stats.receiptsSent++;
  if (target !== origin) core.stats.receiptsOnOtherSession++;
}

/** Receipts that found no receiving bind go out when one binds. */
function flushWaiting(core: SimulatorCore, waitingForBind: ReceiptJob[]): void {
  for (const job of waitingForBind.splice(0)) deliverReceipt(core, waitingForBind, undefined, job);
  core.stats.receiptsWaitingForBind = waitingForBind.length;
}

function dropConnections(core: SimulatorCore, dropOptions: { unbind?: boolean }): number {
  const sessions = [...core.sessions];
  for (const session of sessions) {
    core.stats.connectionsDropped++;
    if (dropOptions.unbind && session.mode !== undefined && !session.muted) {
      core.stats.unbindsSent++;
      session.wire.send("unbind");
      core.later(200, () => session.wire.destroy());
    } else {
      session.wire.destroy();
    }
  }
  return sessions.length;
}

function receiptTarget(
  core: SimulatorCore,
  origin: SimSession | undefined,
  systemId: string,
): SimSession | undefined {
  const receivers = [...core.sessions].filter(
    (s) => s.systemId === systemId && (s.mode === "transceiver" || s.mode === "receiver") && !s.muted,
  );
  if (core.scenario.receiptsOnOtherBind) return receivers.find((s) => s !== origin) ?? receivers[0];
  return receivers.find((s) => s === origin) ?? receivers[0];
}

function receiptFields(job: ReceiptJob, doneAt: Date) {
  const status = STATUS_BY_STAT[job.stat];
  const text = formatReceiptText({
    messageId: job.receiptId,
    status,
    submitDate: job.submittedAt,
    doneDate: doneAt,
    errorCode: status === "delivered" ? 0 : 1,
  });
  return {
    source_addr_ton: TON.international,
    source_addr_npi: NPI.isdn,
    source_addr: job.phone,
    dest_addr_ton: job.sender.ton,
    dest_addr_npi: job.sender.npi,
    destination_addr: job.sender.addr,
    esm_class: ESM_CLASS_DELIVERY_RECEIPT,
    data_coding: 0,
    short_message: Buffer.from(text, "ascii"),
    receipted_message_id: job.receiptId,
    message_state: MESSAGE_STATE_BY_STATUS[status],
  };
}
