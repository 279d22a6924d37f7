/**
 * What a start does with the limits script's answer. The script checks every limit and claims
 * the request's idempotency and active-verification keys in one call; a key that already names a
 * verification answers instead. Pure: the answer and the verification it names in, the next
 * step out; the handler does the reading, waiting and writing each step asks for.
 */
import { OtpError } from "@domain/errors";
import type { VerificationState } from "@domain/verification";

/** The limits script's answer, as the handler's guards return it. */
export type Admission =
  | { kind: "admitted" }
  /** The idempotency key, or the active-verification key, names this verification. */
  | { kind: "idempotent" | "active"; verificationId: string }
  /** The idempotency key names this verification, made with other parameters. */
  | { kind: "idempotency-mismatch"; verificationId: string };

export type AdmissionStep =
  /** Every limit passed and the keys are this request's: make the verification. */
  | { kind: "admitted" }
  | { kind: "refused"; error: OtpError }
  /** The idempotency key's first request made (or is making) this one: answer with it. */
  | { kind: "follow-idempotent"; verificationId: string }
  /** The phone has an active verification for the purpose: read it, then `decideActive`. */
  | { kind: "read-active"; verificationId: string };

/** The key is the client's own (printable ASCII, at most 128 characters): safe to name back. */
const idempotencyMismatch = (key: string): OtpError =>
  new OtpError(
    "OTP_IDEMPOTENCY_MISMATCH",
    `idempotency key "${key}" was first used with other parameters (phone, purpose, channel or transaction binding); use a new key for a new request`,
  );

export function decideAdmission(
  admission: Admission,
  request: { idempotencyKey: string; claimsIdempotency: boolean },
): AdmissionStep {
  switch (admission.kind) {
    case "admitted":
      return { kind: "admitted" };
    case "idempotency-mismatch":
      return { kind: "refused", error: idempotencyMismatch(request.idempotencyKey) };
    case "idempotent":
      if (request.claimsIdempotency)
        return { kind: "follow-idempotent", verificationId: admission.verificationId };
      return { kind: "read-active", verificationId: admission.verificationId };
    case "active":
      return { kind: "read-active", verificationId: admission.verificationId };
  }
}

/** A verification still taking a code: pending or delivered, and not expired. */
export const isLive = (s: VerificationState, now: number): boolean =>
  (s.status === "pending" || s.status === "delivered") && now < s.expiresAt;

/** Times a start asks the script again to replace an ended active verification before giving up. */
export const REPLACE_ROUNDS = 3;

export type ActiveStep =
  /**
   * Answer with the live verification (reused), after pointing the request's idempotency key at
   * it (`remember`) and, when asked to, resending its code.
   */
  | { kind: "reuse"; state: VerificationState; remember: boolean; resend: boolean }
  /** The one the key names has ended (or is unreadable): claim the key again, replacing it. */
  | { kind: "replace"; replacing: string }
  | { kind: "refused"; error: OtpError };

/**
 * The active verification the key named (undefined: not readable), in round `round` of this
 * start. Another tenant's verification is never reused.
 */
export function decideActive(
  verificationId: string,
  existing: VerificationState | undefined,
  request: {
    tenant: string;
    now: number;
    round: number;
    idempotencyKey: string;
    resendIfActive: boolean;
    claimsActive: boolean;
  },
): ActiveStep {
  if (existing && existing.tenant === request.tenant && isLive(existing, request.now)) {
    return {
      kind: "reuse",
      state: existing,
      remember: request.idempotencyKey !== "",
      resend: request.resendIfActive,
    };
  }
  if (request.round >= REPLACE_ROUNDS || !request.claimsActive) {
    return {
      kind: "refused",
      error: new OtpError("OTP_STATE_UNAVAILABLE", "verification is being replaced, retry shortly", {
        retryAfterMs: 100,
      }),
    };
  }
  return { kind: "replace", replacing: verificationId };
}
