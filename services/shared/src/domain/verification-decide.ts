/**
 * Decisions on a verification: given the state and a command, the outcome. Pure.
 */
import { CheckOutcome } from "@proto/otp/events/v1/events";
import { Channel, RiskTier } from "@proto/otp/v1/common";
import { isFinal, type VerificationState } from "./verification";

/** What the atomic check needs: the hot projection of one verification. */
export interface CheckSubject {
  status: VerificationState["status"];
  expiresAt: number;
  checksUsed: number;
  maxChecks: number;
  /** Digest of the transaction binding the code was issued for ("" for none). */
  bindingDigest: string;
  /** Digits of the verification's codes (0: unknown, not checked). */
  codeLength: number;
  /** Keyed hashes of every code that may still be accepted. */
  codes: { attempt: number; hash: string; expiresAt: number }[];
}

export interface CheckInput {
  now: number;
  /** The candidate code's hash under each configured code-hash key (rotation). */
  candidateHashes: string[];
  candidateBinding: string;
  /** Digits of the code the caller sent. */
  candidateLength: number;
}

/**
 * With a new code per attempt, the codes a check compares against: the two newest. A late
 * WhatsApp code still works after an SMS fallback, and a guess is against at most two codes,
 * not one per send (NIST SP 800-63B §5.1.3.2 counts each valid code toward the odds).
 */
export const VALID_CODES_KEPT = 2;

export type CheckDecision =
  /** No state: fail closed (reject; the client must start a new verification). */
  | { kind: "missing" }
  /** The code cannot be this verification's: a mistyped length costs no attempt. */
  | { kind: "wrong-length"; expectedLength: number }
  | {
      kind: "decided";
      outcome: CheckOutcome;
      checksUsed: number;
      matchedAttempt: number;
      lockedNow: boolean;
    };

/**
 * The check, in the order that matters: a code of the wrong length is refused before anything
 * counts; a used code stays used, a failed, cancelled or locked one stays so, expiry beats a
 * correct code, then the code (one of the two newest) and its binding; every failed comparison
 * counts, and the last allowed one locks.
 */
export function decideCheck(subject: CheckSubject | undefined, input: CheckInput): CheckDecision {
  if (!subject) return { kind: "missing" };
  if (subject.codeLength > 0 && input.candidateLength !== subject.codeLength)
    return { kind: "wrong-length", expectedLength: subject.codeLength };
  const decided = (
    outcome: CheckOutcome,
    checksUsed = subject.checksUsed,
    matchedAttempt = 0,
    lockedNow = false,
  ) => ({ kind: "decided", outcome, checksUsed, matchedAttempt, lockedNow }) as const;

  if (subject.status === "verified") return decided(CheckOutcome.CHECK_OUTCOME_ALREADY_USED);
  if (subject.status === "failed") return decided(CheckOutcome.CHECK_OUTCOME_FAILED);
  if (subject.status === "cancelled") return decided(CheckOutcome.CHECK_OUTCOME_CANCELLED);
  if (subject.status === "locked" || subject.checksUsed >= subject.maxChecks) {
    return decided(CheckOutcome.CHECK_OUTCOME_LOCKED);
  }
  if (subject.status === "expired" || input.now >= subject.expiresAt)
    return decided(CheckOutcome.CHECK_OUTCOME_EXPIRED);

  const used = subject.checksUsed + 1;
  const lockedNow = used >= subject.maxChecks;
  const newest = [...subject.codes].sort((a, b) => b.attempt - a.attempt).slice(0, VALID_CODES_KEPT);
  const match = newest.find((c) => c.expiresAt > input.now && input.candidateHashes.includes(c.hash));
  if (match && input.candidateBinding === subject.bindingDigest) {
    return decided(CheckOutcome.CHECK_OUTCOME_VERIFIED, used, match.attempt);
  }
  const outcome =
    input.candidateBinding !== subject.bindingDigest
      ? CheckOutcome.CHECK_OUTCOME_BINDING_MISMATCH
      : CheckOutcome.CHECK_OUTCOME_WRONG_CODE;
  return decided(outcome, used, 0, lockedNow);
}

export type Rejection = {
  ok: false;
  code: "OTP_FAILED_PRECONDITION" | "OTP_RATE_LIMITED";
  reason: string;
  retryAfterMs?: number;
};

export type ResendDecision = { ok: true; channel: Channel } | Rejection;

/** A resend is allowed on a live verification, after the cooldown, within the send cap and expiry. */
export function decideResend(state: VerificationState, channel: Channel, now: number): ResendDecision {
  if (isFinal(state))
    return { ok: false, code: "OTP_FAILED_PRECONDITION", reason: `verification is ${state.status}` };
  if (now >= state.expiresAt)
    return { ok: false, code: "OTP_FAILED_PRECONDITION", reason: "verification has expired" };
  if (state.sendsUsed >= state.maxSends) {
    return { ok: false, code: "OTP_FAILED_PRECONDITION", reason: `send limit of ${state.maxSends} reached` };
  }
  // The start counts as a send even before routing has dispatched it.
  const readyAt = Math.max(state.lastSendAt, state.createdAt) + state.resendCooldownMs;
  if (now < readyAt) {
    return { ok: false, code: "OTP_RATE_LIMITED", reason: "resend cooldown", retryAfterMs: readyAt - now };
  }
  return { ok: true, channel };
}

export type SimpleDecision = { ok: true } | Rejection;

export function decideCancel(state: VerificationState): SimpleDecision {
  if (isFinal(state))
    return { ok: false, code: "OTP_FAILED_PRECONDITION", reason: `verification is ${state.status}` };
  return { ok: true };
}

export interface OverrideCommand {
  agent: string;
  approver: string;
  reason: string;
}

/** Four eyes: two different agents and a reason; never for high-risk purposes. */
export function decideOverride(state: VerificationState, command: OverrideCommand): SimpleDecision {
  if (state.riskTier === RiskTier.RISK_TIER_HIGH) {
    return {
      ok: false,
      code: "OTP_FAILED_PRECONDITION",
      reason: "override is not allowed for high-risk purposes",
    };
  }
  if (!command.agent || !command.approver || command.agent === command.approver) {
    return {
      ok: false,
      code: "OTP_FAILED_PRECONDITION",
      reason: "override needs a second, different approver",
    };
  }
  if (command.reason.trim().length < 10) {
    return {
      ok: false,
      code: "OTP_FAILED_PRECONDITION",
      reason: "override needs a reason of at least 10 characters",
    };
  }
  if (isFinal(state))
    return { ok: false, code: "OTP_FAILED_PRECONDITION", reason: `verification is ${state.status}` };
  return { ok: true };
}
