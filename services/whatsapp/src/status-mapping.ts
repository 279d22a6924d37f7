/**
 * WhatsApp message statuses → DeliveryStatus (pure). sent: in WhatsApp's hands, on its way;
 * delivered: on the handset; read: opened; failed: see errors[0]. Other statuses ("deleted",
 * "warning", "played"…) say nothing about delivery and are dropped.
 */
import { DeliveryStatus, FailureClass } from "@proto/otp/v1/common";
import { classifyWhatsAppError } from "./error-classification";
import type { WebhookStatus } from "@platform/http/whatsapp-cloud/webhook-payload";

export interface StatusOutcome {
  status: DeliveryStatus;
  failureClass: FailureClass;
  reason: string;
}

export function mapWebhookStatus(
  status: Pick<WebhookStatus, "status" | "errors">,
): StatusOutcome | undefined {
  const ok = (s: DeliveryStatus): StatusOutcome => ({
    status: s,
    failureClass: FailureClass.FAILURE_CLASS_UNSPECIFIED,
    reason: "",
  });
  switch (status.status) {
    case "sent":
      return ok(DeliveryStatus.DELIVERY_STATUS_SENT);
    case "delivered":
      return ok(DeliveryStatus.DELIVERY_STATUS_DELIVERED);
    case "read":
      return ok(DeliveryStatus.DELIVERY_STATUS_READ);
    case "failed": {
      const code = status.errors[0]?.code;
      const error = classifyWhatsAppError(code, code === undefined ? 500 : undefined);
      return {
        status: DeliveryStatus.DELIVERY_STATUS_FAILED,
        failureClass: error.failureClass,
        reason: code === undefined ? "WHATSAPP_FAILED" : error.reason,
      };
    }
    default:
      return undefined;
  }
}
