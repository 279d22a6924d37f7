/**
 * Submits one attempt's SMS through its route: the alphanumeric sender first; when the
 * operator refuses it (command_status 0x0A, invalid source address) and the tenant has a
 * numeric sender, once more with that one. validity_period is the code's remaining life,
 * so the SMSC drops the message when the code could no longer be used.
 */
import type { Logger } from "@platform/log";
import type { GatewayMetrics } from "../metrics/gateway-metrics";
import { SmppStatusError, STATUS } from "../smpp-status";
import type { PartContext } from "../smsc-pool";
import type { AttemptRef, SentPart } from "./attempt-ref";
import type { AccountPool } from "./route-table";
import type { SenderChoice } from "./sender-choice";

/** What the pools' in-memory correlator hands back with a receipt. */
export interface SubmitContext {
  ref: AttemptRef;
  account: string;
  submittedAtMs: number;
}

export type SmsPool = AccountPool<SubmitContext>;

export interface SubmitPlan {
  ref: AttemptRef;
  via: SmsPool;
  destination: string;
  text: string;
  senders: SenderChoice;
}

export interface SubmittedSms {
  parts: SentPart[];
  sender: string;
}

export interface SmsSubmitterDeps {
  metrics: GatewayMetrics;
  logger: Logger;
  now: () => number;
  /** Below this remaining life nothing more is submitted. */
  minRemainingMs: number;
}

/** Submits; throws the submit error (SmppStatusError, OtpError) of the last try. */
export async function submitSms(deps: SmsSubmitterDeps, plan: SubmitPlan): Promise<SubmittedSms> {
  try {
    return await submitWith(deps, plan, plan.senders.primary);
  } catch (err) {
    const alternative = plan.senders.alternative;
    const refused = err instanceof SmppStatusError && err.commandStatus === STATUS.INVALID_SOURCE_ADDRESS;
    if (!refused || alternative === undefined || remainingMs(deps, plan.ref) < deps.minRemainingMs) throw err;
    deps.metrics.count("senderFallbacks");
    deps.logger.info("sms sender refused by the operator; resubmitting with the alternative sender", {
      account: plan.via.account,
      operator: plan.ref.operator,
    });
    return await submitWith(deps, plan, alternative);
  }
}

async function submitWith(deps: SmsSubmitterDeps, plan: SubmitPlan, sender: string): Promise<SubmittedSms> {
  const submittedAtMs = deps.now();
  const validityPeriodSeconds = Math.max(1, Math.floor(remainingMs(deps, plan.ref) / 1000));
  const context: SubmitContext = { ref: plan.ref, account: plan.via.account, submittedAtMs };
  const result = await plan.via.pool.submit(
    { source: sender, destination: plan.destination, text: plan.text, validityPeriodSeconds },
    context,
  );
  const parts = result.messageIds.map((messageId, partIndex) =>
    sentPart({ context, messageId, partIndex, partCount: result.messageIds.length, bind: result.bind }),
  );
  return { parts, sender };
}

export function sentPart(part: PartContext<SubmitContext>): SentPart {
  return {
    ...part.context.ref,
    account: part.context.account,
    bind: part.bind,
    messageId: part.messageId,
    partIndex: part.partIndex,
    partCount: part.partCount,
    submittedAtMs: part.context.submittedAtMs,
  };
}

function remainingMs(deps: SmsSubmitterDeps, ref: AttemptRef): number {
  return ref.expiresAtMs - deps.now();
}
