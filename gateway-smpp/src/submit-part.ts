/**
 * Submits one submit_sm and applies the SMSC's answer:
 * - OK → the message id;
 * - ESME_RTHROTTLED (0x58) → cut the learned rate (once per round trip, rate-limiter.ts), wait a
 *   short jittered backoff, send again through the rate limit;
 * - ESME_RMSGQFUL (0x14) → the same cut, and a few more tries with growing jittered pauses;
 * - any other status (or generic_nack) → SMPP_SUBMIT_FAILED with the status;
 * - no answer in time → SMPP_RESPONSE_TIMEOUT. The SMSC may have accepted it, so it is never
 *   sent again here: the caller decides (usually: wait for a receipt or fall back).
 * A PDU that could not be written (connection gone) was not sent and waits for the next bind.
 */
import { OtpError } from "@domain/errors";
import { backoffDelay } from "./backoff";
import { reserveAll, type RateLimiter } from "./rate-limiter";
import type { SessionCounters } from "./session-counters";
import type { SmscConnection } from "./smsc-connection";
import { STATUS, SmppStatusError } from "./smpp-status";
import type { PduFields, WirePdu } from "./smpp-wire";
import type { SubmitWindow } from "./submit-window";

export interface RetryPolicy {
  /** First pause before a throttled PDU goes again (jittered, doubling up to 20 ×). */
  throttledPauseMs: number;
  maxThrottledRetries: number;
  queueFullPauseMs: number;
  maxQueueFullRetries: number;
  /** Pause before sending again a PDU that could not be written. */
  notSentPauseMs: number;
  maxNotSentRetries: number;
}

const DEFAULT_RETRY_POLICY: RetryPolicy = {
  throttledPauseMs: 200,
  maxThrottledRetries: 10,
  queueFullPauseMs: 500,
  maxQueueFullRetries: 3,
  notSentPauseMs: 100,
  maxNotSentRetries: 20,
};

/** One submit_sm answered (its command_status) or not (undefined), and how long it took. */
export type SubmitObserver = (commandStatus: number | undefined, latencyMs: number) => void;

export interface PartSubmitContext {
  connection: () => Promise<SmscConnection>;
  window: SubmitWindow;
  /** The bind's limiter, then its account's: a send waits for a slot in each. */
  limiters: readonly RateLimiter[];
  counters: SessionCounters;
  policy?: Partial<RetryPolicy>;
  observe?: SubmitObserver;
  random?: () => number;
}

export async function submitPart(fields: PduFields, context: PartSubmitContext): Promise<string> {
  const policy = { ...DEFAULT_RETRY_POLICY, ...context.policy };
  const { counters } = context;
  const random = context.random ?? Math.random;
  let throttledRetries = 0;
  let queueFullRetries = 0;
  let notSent = 0;
  for (;;) {
    const sent = await sendOnce(fields, context);
    if (sent === "not-sent") {
      // Never sent, so safe to try again on the next bind; bounded so a flapping bind fails.
      if (++notSent > policy.maxNotSentRetries) {
        throw new OtpError("SMPP_NOT_BOUND", "submit_sm could not be written: the bind keeps dropping");
      }
      await sleep(policy.notSentPauseMs);
      continue;
    }
    const { response, sentAt } = sent;
    const now = Date.now();
    switch (response.status) {
      case STATUS.OK:
        counters.accepted++;
        for (const limiter of context.limiters) limiter.accepted(now);
        return response.string("message_id") ?? "";
      case STATUS.THROTTLED:
        counters.throttled++;
        slowDown(context, now, sentAt);
        if (++throttledRetries > policy.maxThrottledRetries) {
          throw new SmppStatusError("SMPP_THROTTLED", "submit_sm throttled", response.status);
        }
        await sleep(retryPause(policy.throttledPauseMs, throttledRetries, random));
        continue;
      case STATUS.MESSAGE_QUEUE_FULL:
        counters.queueFull++;
        slowDown(context, now, sentAt);
        if (++queueFullRetries > policy.maxQueueFullRetries) {
          throw new SmppStatusError("SMPP_QUEUE_FULL", "submit_sm refused", response.status);
        }
        await sleep(retryPause(policy.queueFullPauseMs, queueFullRetries, random));
        continue;
      default:
        counters.refused++;
        throw new SmppStatusError("SMPP_SUBMIT_FAILED", "submit_sm refused", response.status);
    }
  }
}

/** One send under the window and the rate limit; "not-sent" if the PDU never left. */
async function sendOnce(
  fields: PduFields,
  context: PartSubmitContext,
): Promise<{ response: WirePdu; sentAt: number } | "not-sent"> {
  const connection = await context.connection();
  const release = await context.window.acquire();
  let sentAt = Date.now();
  try {
    await sleep(reserveAll(context.limiters, Date.now()));
    context.counters.submitsSent++;
    sentAt = Date.now();
    const response = await connection.request("submit_sm", fields);
    context.observe?.(response.status, Date.now() - sentAt);
    return { response, sentAt };
  } catch (err) {
    if (err instanceof OtpError && err.code === "SMPP_NOT_BOUND") {
      context.counters.submitsSent--;
      return "not-sent";
    }
    if (err instanceof OtpError && err.code === "SMPP_RESPONSE_TIMEOUT") {
      context.counters.responseTimeouts++;
      context.observe?.(undefined, Date.now() - sentAt);
    }
    throw err;
  } finally {
    release();
  }
}

function slowDown(context: PartSubmitContext, now: number, sentAt: number): void {
  let cut = false;
  for (const limiter of context.limiters) cut = limiter.throttled(now, sentAt) || cut;
  if (cut) context.counters.rateCuts++;
}

/** Jittered, doubling pause before try `retry` (1-based): uniform in [cap/2, cap]. */
function retryPause(initialMs: number, retry: number, random: () => number): number {
  return backoffDelay(retry, { initialMs, maxMs: initialMs * 20 }, random);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
