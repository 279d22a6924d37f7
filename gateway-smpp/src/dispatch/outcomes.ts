/**
 * What each SMPP event means for routing (pure): the DeliveryReported status, failure class
 * and stable reason of submit results, submit errors and delivery receipts.
 *
 * - submit_sm_resp OK → ACCEPTED with the message id(s);
 * - command_status ≠ 0 → FAILED "SMPP_STATUS_0x0000000B" (PERMANENT, except SMSC-side
 *   trouble that may pass: system error, temporary application errors);
 * - 0x58 / 0x14 still answered after the retries → FAILED TRANSIENT;
 * - no response → FAILED UNKNOWN "SMPP_RESPONSE_TIMEOUT": it may have been sent, so it is
 *   never resent here, routing decides;
 * - receipts: DELIVRD → DELIVERED; UNDELIV, REJECTD, DELETED → FAILED PERMANENT
 *   "SMPP_DLR_<stat>"; EXPIRED → EXPIRED; UNKNOWN → FAILED UNKNOWN; ENROUTE, ACCEPTD ignored.
 *   Their time is when the receipt arrived here: the receipt's own "done date" has minute
 *   precision and the SMSC's unstated time zone (read as UTC it put deliveries before their
 *   request), so it only rides along as reported, with the "submit date".
 */
import { DeliveryStatus, FailureClass } from "@proto/otp/v1/common";
import { isOtpError, type ErrorCode } from "@domain/errors";
import { STAT_BY_STATUS, type DeliveryReceipt } from "../delivery-receipt";
import { commandStatusHex, SmppStatusError, STATUS } from "../smpp-status";

export interface ReportOutcome {
  status: DeliveryStatus;
  failureClass: FailureClass;
  reason: string;
  providerMessageId: string;
  providerTimeMs: number;
  /** The SMSC's own receipt dates, as reported ("YYMMDDhhmm[ss]"); empty when absent. */
  providerSubmitDate?: string;
  providerDoneDate?: string;
}

/** SMSC-side conditions that may pass (0x64 is ESME_RX_T_APPN, the temporary one). */
const TRANSIENT_STATUSES: ReadonlySet<number> = new Set<number>([
  STATUS.SYSTEM_ERROR,
  STATUS.MESSAGE_QUEUE_FULL,
  STATUS.THROTTLED,
  STATUS.TEMPORARY_APP_ERROR,
]);

export const REASON = {
  codeExpired: "CODE_EXPIRED",
  responseTimeout: "SMPP_RESPONSE_TIMEOUT",
  notBound: "SMPP_NOT_BOUND",
  overloaded: "SMPP_GATEWAY_OVERLOADED",
  invalidRequest: "SMS_INVALID_REQUEST",
  unknownRoute: "SMS_ROUTE_UNKNOWN",
  sealedDataUnreadable: "SEALED_DATA_UNREADABLE",
  interrupted: "SMS_DISPATCH_INTERRUPTED",
} as const;

/** Submit errors (other than an SMSC status) that are outcomes of the attempt. */
const OUTCOME_BY_ERROR_CODE: Partial<Record<ErrorCode, [FailureClass, string]>> = {
  // Sent, no answer: it may have been delivered. Never resent here; routing decides.
  SMPP_RESPONSE_TIMEOUT: [FailureClass.FAILURE_CLASS_UNKNOWN, REASON.responseTimeout],
  // Not sent: no bind came up in time, or this gateway's queue was full.
  SMPP_NOT_BOUND: [FailureClass.FAILURE_CLASS_TRANSIENT, REASON.notBound],
  OTP_OVERLOADED: [FailureClass.FAILURE_CLASS_TRANSIENT, REASON.overloaded],
  OTP_INVALID_ARGUMENT: [FailureClass.FAILURE_CLASS_PERMANENT, REASON.invalidRequest],
};

const smppStatusReason = (status: number): string => `SMPP_STATUS_${commandStatusHex(status)}`;

export function accepted(messageIds: readonly string[], now: number): ReportOutcome {
  return {
    status: DeliveryStatus.DELIVERY_STATUS_ACCEPTED,
    failureClass: FailureClass.FAILURE_CLASS_UNSPECIFIED,
    reason: "",
    providerMessageId: messageIds.join(","),
    providerTimeMs: now,
  };
}

export function failed(
  failureClass: FailureClass,
  reason: string,
  now: number,
  providerMessageId = "",
): ReportOutcome {
  return {
    status: DeliveryStatus.DELIVERY_STATUS_FAILED,
    failureClass,
    reason,
    providerMessageId,
    providerTimeMs: now,
  };
}

/** The code has (nearly) run out: nothing is sent. */
export function codeExpired(now: number): ReportOutcome {
  return {
    status: DeliveryStatus.DELIVERY_STATUS_EXPIRED,
    failureClass: FailureClass.FAILURE_CLASS_PERMANENT,
    reason: REASON.codeExpired,
    providerMessageId: "",
    providerTimeMs: now,
  };
}

/** The outcome of a submit that threw; undefined for errors that are bugs, not outcomes. */
export function submitErrorOutcome(err: unknown, now: number): ReportOutcome | undefined {
  if (err instanceof SmppStatusError) {
    const transient = TRANSIENT_STATUSES.has(err.commandStatus);
    return failed(
      transient ? FailureClass.FAILURE_CLASS_TRANSIENT : FailureClass.FAILURE_CLASS_PERMANENT,
      smppStatusReason(err.commandStatus),
      now,
    );
  }
  if (!isOtpError(err)) return undefined;
  const mapped = OUTCOME_BY_ERROR_CODE[err.code];
  return mapped === undefined ? undefined : failed(mapped[0], mapped[1], now);
}

/**
 * The outcome a final receipt reports, at `arrivedAtMs` (when the receipt reached this gateway);
 * undefined for intermediate states.
 */
export function receiptOutcome(
  receipt: DeliveryReceipt,
  messageId: string,
  arrivedAtMs: number,
): ReportOutcome | undefined {
  const stat = STAT_BY_STATUS[receipt.status];
  const base = {
    providerMessageId: messageId,
    providerTimeMs: arrivedAtMs,
    providerSubmitDate: receipt.submitDate ?? "",
    providerDoneDate: receipt.doneDate ?? "",
  };
  switch (receipt.status) {
    case "delivered":
      return {
        ...base,
        status: DeliveryStatus.DELIVERY_STATUS_DELIVERED,
        failureClass: FailureClass.FAILURE_CLASS_UNSPECIFIED,
        reason: "",
      };
    case "expired":
      return {
        ...base,
        status: DeliveryStatus.DELIVERY_STATUS_EXPIRED,
        failureClass: FailureClass.FAILURE_CLASS_PERMANENT,
        reason: `SMPP_DLR_${stat}`,
      };
    case "undeliverable":
    case "rejected":
    case "deleted":
      return {
        ...base,
        status: DeliveryStatus.DELIVERY_STATUS_FAILED,
        failureClass: FailureClass.FAILURE_CLASS_PERMANENT,
        reason: `SMPP_DLR_${stat}`,
      };
    case "unknown":
      return {
        ...base,
        status: DeliveryStatus.DELIVERY_STATUS_FAILED,
        failureClass: FailureClass.FAILURE_CLASS_UNKNOWN,
        reason: `SMPP_DLR_${stat}`,
      };
    case "enroute":
    case "accepted":
      return undefined;
  }
}
