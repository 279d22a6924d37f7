/**
 * ResendCode's refusals in the assistant's words: cooldowns and per-phone send limits
 * (RESOURCE_EXHAUSTED, with how long to wait), the verification's own resend cap, and a
 * verification that has ended or is not the sender's.
 */
import type { ResendOutcome } from "../core/types";

const DEFAULT_WAIT_MS = 30_000;

export function resendRefusal(
  code: string | undefined,
  message: string,
  retryAfterMs?: number,
): ResendOutcome {
  switch (code) {
    case "OTP_RATE_LIMITED":
      return { kind: "cooldown", retryAfterMs: retryAfterMs ?? DEFAULT_WAIT_MS };
    case "OTP_FAILED_PRECONDITION":
      // decideResend's reasons: "send limit of N reached", "verification has expired", "… is verified".
      return /send limit/i.test(message) ? { kind: "limit" } : { kind: "closed" };
    case "OTP_NOT_FOUND":
      return { kind: "closed" };
    case undefined:
    default:
      return { kind: "unavailable" };
  }
}
