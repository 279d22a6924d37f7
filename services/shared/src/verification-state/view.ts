/** The verification as clients see it: never the code, never the phone in clear. */
import type { Verification } from "@proto/otp/v1/common";
import { VerificationMethod, VerificationStatus as Status } from "@proto/otp/v1/common";
import { isFinal, type VerificationState, type VerificationStatus } from "@domain/verification";

const STATUS: Record<VerificationStatus, Status> = {
  pending: Status.VERIFICATION_STATUS_PENDING,
  delivered: Status.VERIFICATION_STATUS_DELIVERED,
  verified: Status.VERIFICATION_STATUS_VERIFIED,
  expired: Status.VERIFICATION_STATUS_EXPIRED,
  cancelled: Status.VERIFICATION_STATUS_CANCELLED,
  locked: Status.VERIFICATION_STATUS_LOCKED,
  failed: Status.VERIFICATION_STATUS_FAILED,
};

const date = (ms: number | undefined): Date | undefined => (ms ? new Date(ms) : undefined);

/** A live verification past its expiry reads as expired, before the expiry event lands. */
export function effectiveStatus(state: VerificationState, now: number): VerificationStatus {
  return !isFinal(state) && now >= state.expiresAt ? "expired" : state.status;
}

export function toVerificationView(state: VerificationState, now: number): Verification {
  return {
    verificationId: state.id,
    status: STATUS[effectiveStatus(state, now)],
    purpose: state.purpose,
    riskTier: state.riskTier,
    maskedPhone: state.maskedPhone,
    district: state.district,
    locale: state.locale,
    plannedSteps: state.plannedSteps,
    attempts: state.attempts.map((a) => ({
      attempt: a.attempt,
      channel: a.channel,
      route: a.route,
      status: a.status,
      failureClass: a.failureClass,
      failureReason: a.reason,
      requestedAt: date(a.requestedAt),
      acceptedAt: date(a.acceptedAt),
      deliveredAt: date(a.deliveredAt),
      finishedAt: date(a.finishedAt),
      operator: a.operator,
    })),
    createdAt: date(state.createdAt),
    expiresAt: date(state.expiresAt),
    checksRemaining: Math.max(0, state.maxChecks - state.checksUsed),
    sendsRemaining: Math.max(0, state.maxSends - state.sendsUsed),
    resendAvailableAt: date(Math.max(state.lastSendAt, state.createdAt) + state.resendCooldownMs),
    hasTransactionBinding: state.hasBinding,
    verificationMethod: methodOf(state),
  };
}

const METHOD = {
  code: VerificationMethod.VERIFICATION_METHOD_CODE,
  network: VerificationMethod.VERIFICATION_METHOD_NETWORK,
  override: VerificationMethod.VERIFICATION_METHOD_SUPPORT_OVERRIDE,
} as const;

function methodOf(state: VerificationState): VerificationMethod {
  if (state.status !== "verified") return VerificationMethod.VERIFICATION_METHOD_UNSPECIFIED;
  // The check script marks a state verified before CodeChecked is folded in: a code did it.
  return METHOD[state.verifiedBy || "code"];
}

/** `+62812****5678` → `+62812`: the destination prefix the pumping guard counts by. */
export function destinationPrefix(maskedPhone: string): string {
  const star = maskedPhone.indexOf("*");
  return star < 0 ? maskedPhone : maskedPhone.slice(0, star);
}
