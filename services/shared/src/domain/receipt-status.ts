/**
 * A delivery receipt's status by name, from otp.v1.DeliveryStatus: routing decides on it, the
 * support assistant explains it to the user.
 */
import { DeliveryStatus } from "@proto/otp/v1/common";

export type ReceiptStatus =
  "queued" | "accepted" | "sent" | "delivered" | "read" | "failed" | "expired" | "cancelled" | "unspecified";

const RECEIPT_STATUS: Record<DeliveryStatus, ReceiptStatus> = {
  [DeliveryStatus.DELIVERY_STATUS_UNSPECIFIED]: "unspecified",
  [DeliveryStatus.DELIVERY_STATUS_QUEUED]: "queued",
  [DeliveryStatus.DELIVERY_STATUS_ACCEPTED]: "accepted",
  [DeliveryStatus.DELIVERY_STATUS_SENT]: "sent",
  [DeliveryStatus.DELIVERY_STATUS_DELIVERED]: "delivered",
  [DeliveryStatus.DELIVERY_STATUS_READ]: "read",
  [DeliveryStatus.DELIVERY_STATUS_FAILED]: "failed",
  [DeliveryStatus.DELIVERY_STATUS_EXPIRED]: "expired",
  [DeliveryStatus.DELIVERY_STATUS_CANCELLED]: "cancelled",
};

/** "unspecified" also for a value from a newer schema. */
export const receiptStatusFromProto = (status: DeliveryStatus): ReceiptStatus =>
  RECEIPT_STATUS[status] ?? "unspecified";
