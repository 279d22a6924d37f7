/**
 * Label values from protocol enums: short lowercase names ("sms", "hard_failure"), the same in
 * every service, so PromQL and dashboards can join series from different processes.
 */
import { CheckOutcome, FallbackReason } from "@proto/otp/events/v1/events";
import { Channel, DeliveryStatus, FailureClass } from "@proto/otp/v1/common";

function shortName(name: string | undefined, prefix: string): string {
  return name === undefined ? "unknown" : name.slice(prefix.length).toLowerCase();
}

export const channelLabel = (channel: Channel): string => shortName(Channel[channel], "CHANNEL_");

export const deliveryStatusLabel = (status: DeliveryStatus): string =>
  shortName(DeliveryStatus[status], "DELIVERY_STATUS_");

export const failureClassLabel = (failureClass: FailureClass): string =>
  shortName(FailureClass[failureClass], "FAILURE_CLASS_");

export const checkOutcomeLabel = (outcome: CheckOutcome): string =>
  shortName(CheckOutcome[outcome], "CHECK_OUTCOME_");

export const fallbackReasonLabel = (reason: FallbackReason): string =>
  shortName(FallbackReason[reason], "FALLBACK_REASON_");

/** An OtpError code as an outcome label: OTP_RATE_LIMITED → rate_limited. */
export const errorCodeLabel = (code: string): string => code.replace(/^OTP_/, "").toLowerCase();

/**
 * The labels of a delivery, the same on sends, deliveries, failures and verified codes, so that
 * PromQL can divide one by another (conversion = verified / sends).
 */
export const DELIVERY_LABELS = ["channel", "district", "route", "operator"] as const;

/** Empty label values read badly in dashboards. */
export const orNone = (value: string): string => (value === "" ? "none" : value);
