/**
 * Channel connectors on the lifecycle topic: DispatchRequested → ChannelDispatch (the sealed
 * phone and code opened with their verification's associated data), ChannelReceipt →
 * DeliveryReported envelope keyed by verification id.
 */
import type { DispatchRequested, EventEnvelope } from "@proto/otp/events/v1/events";
import { sealedField, type Sealer } from "../crypto/sealer";
import { OtpError } from "@domain/errors";
import { envelope } from "../events/envelope";
import type { ChannelDispatch, ChannelReceipt } from "./channel-dispatch";

/**
 * Opens a dispatch command. A value that is missing or does not open (wrong keys, a ciphertext
 * moved from another verification) is a non-retryable OTP_INTERNAL: the bus dead-letters the
 * message, to be replayed once the keys are fixed. A missing expiry reads as already expired,
 * so nothing is sent (fail closed).
 */
export function openDispatch(
  source: Pick<EventEnvelope, "verificationId" | "tenant">,
  request: DispatchRequested,
  sealer: Sealer,
): ChannelDispatch {
  const { verificationId } = source;
  if (request.phone === undefined || request.code === undefined) {
    throw new OtpError("OTP_INTERNAL", "DispatchRequested without a sealed phone or code");
  }
  return {
    verificationId,
    attempt: request.attempt,
    tenant: source.tenant,
    phone: sealer.open(request.phone, sealedField(verificationId, "phone")),
    code: sealer.open(request.code, sealedField(verificationId, "code")),
    locale: request.locale,
    expiresAt: request.expiresAt ?? new Date(0),
    district: request.district,
    operator: request.operator,
    purpose: request.purpose,
  };
}

/** The DeliveryReported envelope of a receipt (the bus keys it by verification id). */
export function deliveryReportedEnvelope(
  receipt: ChannelReceipt,
  options: { at: Date; causationId?: string },
): EventEnvelope {
  return envelope(
    {
      verificationId: receipt.verificationId,
      tenant: receipt.tenant,
      at: options.at,
      causationId: options.causationId,
    },
    {
      $case: "deliveryReported",
      value: {
        attempt: receipt.attempt,
        channel: receipt.channel,
        route: receipt.route,
        status: receipt.status,
        failureClass: receipt.failureClass,
        reason: receipt.reason,
        providerMessageId: receipt.providerMessageId,
        district: receipt.district,
        operator: receipt.operator,
        providerTime: receipt.providerTime,
        providerSubmitDate: "",
        providerDoneDate: "",
      },
    },
  );
}
