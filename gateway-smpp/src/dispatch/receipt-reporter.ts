/**
 * Turns delivery receipts into DeliveryReported. A receipt reaches it two ways:
 * - matched(): the pool's in-memory correlator knew the message (submitted by this process;
 *   early receipts were held until the submit_sm_resp came);
 * - unmatched(): the correlator did not know it within its short hold, so the message came
 *   from another replica bound to the same SMSC account (or from before a restart): it is
 *   looked up in the store's message map, retrying briefly since the other replica may be
 *   writing it right now, then counted as unmatched.
 * Intermediate receipts are ignored; final ones go through the final-receipt script (last
 * part delivered, or first failure; duplicates dropped), after the attempt's ACCEPTED. A
 * message of one part needs no script: its first final receipt ends the attempt, and copies
 * are dropped by this process's memory of the attempts it ended (a copy arriving on another
 * replica's bind is reported again, which consumers take as nothing new: they only move an
 * attempt forward). That saves a Redis command on nearly every SMS.
 */
import type { Logger } from "@platform/log";
import type { Store } from "@platform/store/port";
import { STAT_BY_STATUS, type DeliveryReceipt } from "../delivery-receipt";
import type { GatewayMetrics } from "../metrics/gateway-metrics";
import type { PartContext } from "../smsc-pool";
import type { AcceptedGate } from "./accepted-gate";
import type { AttemptLedger } from "./attempt-ledger";
import { attemptKey, attemptTtlMs, type SentPart } from "./attempt-ref";
import { finalReceipt, type FinalReceiptDecision } from "./final-receipt";
import type { MessageMap } from "./message-map";
import { receiptOutcome, type ReportOutcome } from "./outcomes";
import type { ReportPublisher } from "./report-publisher";
import { sentPart, type SubmitContext } from "./sms-submitter";

export interface ReceiptReporterDeps {
  store: Store;
  ledger: AttemptLedger;
  messageMap: MessageMap;
  gate: AcceptedGate;
  publish: ReportPublisher;
  metrics: GatewayMetrics;
  logger: Logger;
  now: () => number;
  receiptLookupMs: number;
  stateGraceMs: number;
}

/** Single-part attempts this process ended, newest last (duplicates of their receipts drop). */
const REMEMBERED_FINALS = 50_000;

/** The attempts whose one-part message this process has reported, bounded. */
function createEndedAttempts(max: number): { end(key: string): boolean } {
  const ended = new Set<string>();
  return {
    /** true the first time an attempt ends; false for a copy. */
    end(key) {
      if (ended.has(key)) return false;
      if (ended.size >= max) ended.delete(ended.values().next().value as string);
      ended.add(key);
      return true;
    },
  };
}

type Ended = ReturnType<typeof createEndedAttempts>;

export interface ReceiptReporter {
  matched(part: PartContext<SubmitContext>, receipt: DeliveryReceipt): void;
  unmatched(account: string, receipt: DeliveryReceipt): void;
  /** Resolves when every receipt in hand has been reported. */
  drain(): Promise<void>;
}

const PUBLISH_RETRY_DELAYS_MS = [200, 500, 1_000, 2_000, 5_000, 10_000];
/** How long after saving an ACCEPTED outcome its owner has surely published it. */
const ACCEPTED_PUBLISH_MS = 1_000;

export function createReceiptReporter(deps: ReceiptReporterDeps): ReceiptReporter {
  const ended = createEndedAttempts(REMEMBERED_FINALS);
  const inFlight = new Set<Promise<void>>();
  const track = (work: Promise<void>): void => {
    const tracked = work.catch((err: unknown) => deps.logger.error("sms receipt handling failed", { err }));
    inFlight.add(tracked);
    void tracked.finally(() => inFlight.delete(tracked));
  };
  return {
    matched(context, receipt) {
      deps.metrics.count("receiptsMatchedLocally");
      track(report(deps, ended, sentPart(context), receipt, false, receipt.receivedAtMs ?? deps.now()));
    },
    unmatched(account, receipt) {
      if (!receipt.final) return;
      track(reportUnmatched(deps, ended, account, receipt, receipt.receivedAtMs ?? deps.now()));
    },
    async drain() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

/** A receipt on a bind that did not submit its message: its part is found through the store. */
async function reportUnmatched(
  deps: ReceiptReporterDeps,
  ended: Ended,
  account: string,
  receipt: DeliveryReceipt,
  arrivedAt: number,
): Promise<void> {
  const part = await lookup(deps, account, receipt.messageId);
  if (part === undefined) {
    deps.metrics.count("receiptsUnmatched");
    deps.logger.warn("sms receipt for an unknown message dropped", {
      account,
      messageId: receipt.messageId,
      stat: STAT_BY_STATUS[receipt.status],
    });
    return;
  }
  deps.metrics.count("receiptsMatchedViaStore");
  await report(deps, ended, part, receipt, true, arrivedAt);
}

/** A receipt may beat the store's record of its message: it is looked up again for a moment. */
async function lookup(
  deps: ReceiptReporterDeps,
  account: string,
  messageId: string,
): Promise<SentPart | undefined> {
  const deadline = deps.now() + deps.receiptLookupMs;
  for (let wait = 25; ; wait = Math.min(wait * 2, 400)) {
    const part = await deps.messageMap.lookup(account, messageId);
    if (part !== undefined || deps.now() >= deadline) return part;
    await sleep(wait);
  }
}

/**
 * Receipts of a part found through the store come after its ACCEPTED: the owner saves the
 * outcome and publishes it at once, so a receipt waits while the attempt is still `sending`
 * and until its outcome is `acceptedPublishMs` old. Consumers move an attempt forward only,
 * so an ACCEPTED that still came later would change nothing.
 */
async function waitForAccepted(deps: ReceiptReporterDeps, part: SentPart): Promise<void> {
  const deadline = deps.now() + deps.receiptLookupMs;
  for (let wait = 25; deps.now() < deadline; wait = Math.min(wait * 2, 400)) {
    const entry = await deps.ledger.read(part.verificationId, part.attempt);
    if (entry === undefined || entry.phase === "reported") return;
    if (entry.phase === "outcome") {
      await sleep(Math.max(0, entry.at + ACCEPTED_PUBLISH_MS - deps.now()));
      return;
    }
    await sleep(wait);
  }
}

async function publishWithRetry(
  deps: ReceiptReporterDeps,
  part: SentPart,
  outcome: ReportOutcome,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await deps.publish(part, outcome);
      deps.metrics.count("reportsPublished");
      return;
    } catch (err) {
      const delay = PUBLISH_RETRY_DELAYS_MS[attempt];
      if (delay === undefined) throw err;
      deps.logger.warn("publishing a delivery report failed; retrying", { delayMs: delay, err });
      await sleep(delay);
    }
  }
}

async function report(
  deps: ReceiptReporterDeps,
  ended: Ended,
  part: SentPart,
  receipt: DeliveryReceipt,
  viaStore: boolean,
  arrivedAt: number,
): Promise<void> {
  const now = deps.now();
  deps.metrics.receipt(
    part.bind,
    STAT_BY_STATUS[receipt.status],
    receipt.final ? now - part.submittedAtMs : undefined,
  );
  const outcome = receiptOutcome(receipt, part.messageId, arrivedAt);
  if (outcome === undefined) return;
  await deps.gate.wait(attemptKey(part));
  if (viaStore) await waitForAccepted(deps, part);
  const decision = await finalDecision(deps, ended, part, receipt, now);
  if (decision === "duplicate") deps.metrics.count("receiptsDuplicate");
  if (decision !== "final") return;
  deps.logger.info("sms receipt reported", {
    verificationId: part.verificationId,
    attempt: part.attempt,
    messageId: part.messageId,
    stat: STAT_BY_STATUS[receipt.status],
    part: `${part.partIndex + 1}/${part.partCount}`,
  });
  await publishWithRetry(deps, part, outcome);
}

/** Whether this receipt ends the attempt: in memory for one part, else by the store's script. */
async function finalDecision(
  deps: ReceiptReporterDeps,
  ended: Ended,
  part: SentPart,
  receipt: DeliveryReceipt,
  now: number,
): Promise<FinalReceiptDecision> {
  if (part.partCount === 1) return ended.end(attemptKey(part)) ? "final" : "duplicate";
  return deps.store.run(finalReceipt, {
    verificationId: part.verificationId,
    attempt: part.attempt,
    partIndex: part.partIndex,
    partCount: part.partCount,
    delivered: receipt.status === "delivered",
    ttlMs: attemptTtlMs(part, now, deps.stateGraceMs),
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
