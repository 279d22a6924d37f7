/**
 * Handles DispatchRequested (channel SMS) from the verifications topic, idempotent on
 * (verification id, attempt) through the attempt ledger:
 *
 * - first delivery: claim, send (send-attempt.ts), save the outcome and the message ids (one
 *   socket write), publish the outcome. Two store round trips per dispatch: the claim before
 *   sending, the outcome after. The handler returns (and the offset is committed) only once the
 *   outcome is published, so a crash at any point leads to a redelivery;
 * - redelivery, ledger `outcome`: nothing to do when this process published it (it remembers
 *   the attempts it reported lately); else the saved report is published again, since its
 *   owner may have died before publishing (consumers move an attempt forward only, so a
 *   second ACCEPTED is harmless);
 * - redelivery, ledger `sending`: another consumer is sending it (a rebalance) or died while
 *   sending. Its outcome is waited for (at most inFlightWaitMs); if none comes the message
 *   may or may not have reached the SMSC, so it is never resent: FAILED UNKNOWN
 *   "SMS_DISPATCH_INTERRUPTED", and routing decides, as for a response timeout.
 * Hence no SMS is sent twice by this gateway, and every dispatch gets a DeliveryReported.
 */
import { DeliveryStatus, FailureClass } from "@proto/otp/v1/common";
import type { BusMessage } from "@platform/bus/port";
import type { Logger } from "@platform/log";
import type { AcceptedGate } from "./accepted-gate";
import type { AttemptLedger, LedgerEntry } from "./attempt-ledger";
import { attemptKey, attemptTtlMs, type AttemptRef, type SentPart } from "./attempt-ref";
import type { MessageMap } from "./message-map";
import { failed, REASON, type ReportOutcome } from "./outcomes";
import type { ReportPublisher } from "./report-publisher";
import { sendAttempt, type SendAttemptDeps } from "./send-attempt";
import { readSmsDispatch } from "./sms-dispatch";

export interface DispatcherDeps extends SendAttemptDeps {
  ledger: AttemptLedger;
  messageMap: MessageMap;
  gate: AcceptedGate;
  publish: ReportPublisher;
  logger: Logger;
  /** This gateway instance, as written in the ledger. */
  instanceId: string;
  inFlightWaitMs: number;
}

export interface Dispatcher {
  handle(message: BusMessage): Promise<void>;
}

/** Attempts this process reported, remembered so a redelivery here publishes nothing twice. */
const REMEMBERED_REPORTS = 100_000;

export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const ttl = (ref: AttemptRef) => attemptTtlMs(ref, deps.now(), deps.stateGraceMs);
  const reported = new Set<string>();
  const remember = (ref: AttemptRef): void => {
    reported.add(attemptKey(ref));
    if (reported.size > REMEMBERED_REPORTS) reported.delete(reported.values().next().value ?? "");
  };

  const finish = async (
    ref: AttemptRef,
    outcome: ReportOutcome,
    log: Logger,
    parts: readonly SentPart[] = [],
  ): Promise<void> => {
    // Store writes after the send are best effort (the report itself matters more), and leave
    // together: one round trip.
    await Promise.all([
      deps.ledger
        .saveOutcome(ref.verificationId, ref.attempt, outcome, ttl(ref))
        .catch((err: unknown) => log.warn("sms attempt outcome not saved", { err })),
      parts.length === 0
        ? undefined
        : deps.messageMap.remember(parts, ttl(ref)).catch((err: unknown) =>
            log.warn("sms message ids not recorded in the store: receipts on other replicas will not match", {
              err,
            }),
          ),
    ]);
    await deps.publish(ref, outcome);
    deps.metrics.count("reportsPublished");
    remember(ref);
  };

  const countOutcome = (outcome: ReportOutcome): void => {
    if (outcome.status === DeliveryStatus.DELIVERY_STATUS_ACCEPTED) deps.metrics.count("dispatchesAccepted");
    else if (outcome.reason === REASON.codeExpired) deps.metrics.count("dispatchesExpired");
    else deps.metrics.count("dispatchesFailed");
  };

  /** Waits while another consumer may still be sending the attempt. */
  const settled = async (ref: AttemptRef, entry: LedgerEntry): Promise<LedgerEntry | undefined> => {
    let current: LedgerEntry | undefined = entry;
    const mine = entry.owner === deps.instanceId && !deps.gate.isOpen(attemptKey(ref));
    while (current?.phase === "sending" && !mine && deps.now() - current.at < deps.inFlightWaitMs) {
      await sleep(250);
      current = await deps.ledger.read(ref.verificationId, ref.attempt);
    }
    return current;
  };

  const resume = async (ref: AttemptRef, found: LedgerEntry | undefined, log: Logger): Promise<void> => {
    deps.metrics.count("dispatchesDuplicate");
    const entry = found === undefined ? undefined : await settled(ref, found);
    switch (entry?.phase) {
      case undefined:
      case "reported": // written by earlier versions
        log.info("sms dispatch already handled; ignored");
        return;
      case "outcome":
        if (entry.owner === deps.instanceId && reported.has(attemptKey(ref))) {
          log.info("sms dispatch already reported here; ignored");
          return;
        }
        log.info("sms dispatch redelivered; publishing its saved report again");
        if (entry.outcome !== undefined) await finish(ref, entry.outcome, log);
        return;
      case "sending":
        log.warn("sms dispatch interrupted while sending: outcome unknown, not resent");
        await finish(ref, failed(FailureClass.FAILURE_CLASS_UNKNOWN, REASON.interrupted, deps.now()), log);
        return;
    }
  };

  return {
    async handle(message) {
      const dispatch = readSmsDispatch(message.envelope);
      if (dispatch === undefined) return;
      const { ref, event } = dispatch;
      deps.metrics.count("dispatchesReceived");
      const log = deps.logger.child({
        verificationId: ref.verificationId,
        attempt: ref.attempt,
        route: ref.route,
        maskedPhone: event.maskedPhone,
      });
      const claim = await deps.ledger.claim(ref.verificationId, ref.attempt, ttl(ref));
      if (!claim.claimed) return resume(ref, claim.entry, log);
      const release = deps.gate.open(attemptKey(ref));
      try {
        const { outcome, parts } = await sendAttempt(deps, dispatch, log);
        countOutcome(outcome);
        await finish(ref, outcome, log, parts);
      } finally {
        release();
      }
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
