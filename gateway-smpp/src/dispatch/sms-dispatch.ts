/** A DispatchRequested for SMS, read from its envelope, and its sealed fields opened. */
import type { DispatchRequested, EventEnvelope } from "@proto/otp/events/v1/events";
import { Channel } from "@proto/otp/v1/common";
import { sealedField, type Sealer } from "@platform/crypto/sealer";
import { OtpError } from "@domain/errors";
import { eventOf } from "@platform/events/envelope";
import type { AttemptRef } from "./attempt-ref";

export interface SmsDispatch {
  ref: AttemptRef;
  event: DispatchRequested;
}

/** The SMS dispatch an envelope carries, or undefined for any other event or channel. */
export function readSmsDispatch(envelope: EventEnvelope): SmsDispatch | undefined {
  const event = eventOf(envelope, "dispatchRequested");
  if (event === undefined || event.channel !== Channel.CHANNEL_SMS) return undefined;
  return {
    event,
    ref: {
      verificationId: envelope.verificationId,
      attempt: event.attempt,
      tenant: envelope.tenant,
      district: event.district,
      operator: event.operator,
      route: event.route,
      causationId: envelope.eventId,
      // No expiry is read as expired: nothing is sent without a bound on the code's life.
      expiresAtMs: event.expiresAt?.getTime() ?? 0,
    },
  };
}

/** The destination number and the code, opened with the verification's associated data. */
export function openSealedFields(dispatch: SmsDispatch, sealer: Sealer): { phone: string; code: string } {
  const { event, ref } = dispatch;
  if (event.phone === undefined || event.code === undefined) {
    throw new OtpError("OTP_INTERNAL", "dispatch without a sealed phone or code");
  }
  return {
    phone: sealer.open(event.phone, sealedField(ref.verificationId, "phone")),
    code: sealer.open(event.code, sealedField(ref.verificationId, "code")),
  };
}
