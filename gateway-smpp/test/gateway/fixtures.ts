/** Dispatches as routing publishes them, with the phone and code sealed, and what came back. */
import { randomInt } from "node:crypto";
import type { DeliveryReported, EventEnvelope } from "@proto/otp/events/v1/events";
import { Channel, DeliveryStatus, FailureClass } from "@proto/otp/v1/common";
import { sealedField, type Sealer } from "@platform/crypto/sealer";
import { envelope, newVerificationId } from "@platform/events/envelope";
import { maskPhone } from "@domain/privacy";
import { randomPhone } from "../harness";

export interface DispatchInput {
  tenant?: string;
  attempt?: number;
  /** Destination prefix (digits); the rest is random. */
  prefix?: string;
  locale?: string;
  country?: string;
  operator?: string;
  route?: string;
  /** Remaining life of the code (negative: already expired). */
  ttlMs?: number;
  verificationId?: string;
}

export interface SealedDispatch {
  verificationId: string;
  attempt: number;
  phone: string;
  code: string;
  envelope: EventEnvelope;
}

export function sealedDispatch(sealer: Sealer, input: DispatchInput = {}): SealedDispatch {
  const verificationId = input.verificationId ?? newVerificationId();
  const attempt = input.attempt ?? 1;
  const phone = randomPhone(input.prefix ?? "62812");
  const code = String(randomInt(100_000, 1_000_000));
  const env = envelope(
    { verificationId, tenant: input.tenant ?? "bank-a", at: new Date() },
    {
      $case: "dispatchRequested",
      value: {
        attempt,
        channel: Channel.CHANNEL_SMS,
        route: input.route ?? "sms-id",
        phone: sealer.seal(`+${phone}`, sealedField(verificationId, "phone")),
        code: sealer.seal(code, sealedField(verificationId, "code")),
        locale: input.locale ?? "id-ID",
        purpose: "login",
        expiresAt: new Date(Date.now() + (input.ttlMs ?? 300_000)),
        district: "ID-JK",
        operator: input.operator ?? "id-telkomsel",
        country: input.country ?? "ID",
        transaction: undefined,
        stepTimeoutSeconds: 30,
        maskedPhone: maskPhone(phone),
        stepIndex: 0,
      },
    },
  );
  return { verificationId, attempt, phone, code, envelope: env };
}

export interface Report {
  verificationId: string;
  causationId: string;
  report: DeliveryReported;
}

/** "ACCEPTED", "DELIVERED"... of a report, for readable assertions. */
export function statusName(report: DeliveryReported): string {
  return DeliveryStatus[report.status].replace("DELIVERY_STATUS_", "");
}

export function classOf(report: DeliveryReported): string {
  return FailureClass[report.failureClass].replace("FAILURE_CLASS_", "");
}
