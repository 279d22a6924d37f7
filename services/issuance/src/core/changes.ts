/**
 * The changes issuance makes to a verification after its start: a resend and a cancellation.
 * Whether each is allowed is the domain's decision (verification-decide.ts); this builds the
 * refusal a client gets, the resend's cooldown claim and the event each change appends. Pure:
 * the new code and its sealing come in from the caller.
 */
import type { EncryptedValue } from "@proto/otp/events/v1/events";
import type { Channel } from "@proto/otp/v1/common";
import type { VerificationState } from "@domain/verification";
import { decideCancel, decideResend, type Rejection } from "@domain/verification-decide";
import { OtpError } from "@domain/errors";
import type { TenantPolicy } from "@domain/policy";
import type { EventBody } from "./start";

export const notFound = (): OtpError => new OtpError("OTP_NOT_FOUND", "verification not found");

function rejected(r: Rejection): OtpError {
  return new OtpError(r.code, r.reason, r.retryAfterMs === undefined ? {} : { retryAfterMs: r.retryAfterMs });
}

export type ChangeDecision<T> = { kind: "refused"; error: OtpError } | ({ kind: "allowed" } & T);

/**
 * A resend, before its limits: refused by the domain, or allowed with the claim that keeps to
 * one resend per cooldown even when several arrive before the first is projected.
 */
export function decideResendRequest(
  state: VerificationState,
  channel: Channel,
  now: number,
  by: string,
): ChangeDecision<{ claim: { key: string; value: string; ttlMs: number } }> {
  const decision = decideResend(state, channel, now);
  if (!decision.ok) return { kind: "refused", error: rejected(decision) };
  return {
    kind: "allowed",
    claim: {
      key: `resend|${state.id}`,
      value: by || "resend",
      ttlMs: Math.max(1000, state.resendCooldownMs),
    },
  };
}

/** Another resend claimed the cooldown first. */
export const resendCooldown = (state: VerificationState): OtpError =>
  new OtpError("OTP_RATE_LIMITED", "resend cooldown", { retryAfterMs: state.resendCooldownMs });

/** The code length a rotated code gets: the purpose's, else six digits. */
export const codeLengthOf = (state: VerificationState, policy: TenantPolicy): number =>
  policy.purposes[state.purpose]?.codeLength ?? 6;

/** The ResendRequested an admitted resend appends; a new sealed code when the policy rotates codes. */
export function resendRequested(
  state: VerificationState,
  channel: Channel,
  policy: TenantPolicy,
  sealNewCode: (length: number) => EncryptedValue,
): EventBody {
  const newCode = state.codePerAttempt ? sealNewCode(codeLengthOf(state, policy)) : undefined;
  return { $case: "resendRequested", value: { channel, newCode, expiresAt: new Date(state.expiresAt) } };
}

/** A cancellation: refused once the verification is final; the reason is kept short. */
export function decideCancellation(
  state: VerificationState,
  reason: string,
  by: string,
): ChangeDecision<{ event: EventBody }> {
  const decision = decideCancel(state);
  if (!decision.ok) return { kind: "refused", error: rejected(decision) };
  return {
    kind: "allowed",
    event: { $case: "verificationCancelled", value: { reason: reason.slice(0, 200), by } },
  };
}
