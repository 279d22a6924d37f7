/**
 * Call statuses → DeliveryStatus (pure). The call's answer is the delivery; a call completed
 * after it was answered has been listened to (READ). Busy, no answer and failed calls will not
 * do better by waiting: routing falls back at once (PERMANENT). A call we cancelled is
 * CANCELLED, not a failure.
 */
import { DeliveryStatus as S, FailureClass as F } from "@proto/otp/v1/common";
import type { CallStatus } from "./voice-provider";

export interface CallOutcome {
  status: S;
  failureClass: F;
  reason: string;
}

const ok = (status: S): CallOutcome => ({ status, failureClass: F.FAILURE_CLASS_UNSPECIFIED, reason: "" });
const failed = (reason: string): CallOutcome => ({
  status: S.DELIVERY_STATUS_FAILED,
  failureClass: F.FAILURE_CLASS_PERMANENT,
  reason,
});

export function mapCallStatus(status: CallStatus): CallOutcome {
  switch (status) {
    case "queued":
      return ok(S.DELIVERY_STATUS_QUEUED);
    case "initiated":
      return ok(S.DELIVERY_STATUS_ACCEPTED);
    case "ringing":
      return ok(S.DELIVERY_STATUS_SENT);
    case "in-progress":
      return ok(S.DELIVERY_STATUS_DELIVERED);
    case "completed":
      return ok(S.DELIVERY_STATUS_READ);
    case "busy":
      return failed("VOICE_BUSY");
    case "no-answer":
      return failed("VOICE_NO_ANSWER");
    case "failed":
      return failed("VOICE_FAILED");
    case "canceled":
      return {
        status: S.DELIVERY_STATUS_CANCELLED,
        failureClass: F.FAILURE_CLASS_UNSPECIFIED,
        reason: "VOICE_CANCELED",
      };
  }
}
