/**
 * WhatsApp Cloud API error codes → what to do about them. One table, pure, used for both the
 * synchronous Graph API answer and the asynchronous `failed` status webhook.
 * Codes: developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
 *
 * `scope` says whose problem it is: "recipient" errors would fail on any sender (do not fail
 * over, do not count against the sender's health); "sender" errors belong to one phone number
 * id / token / WABA (fail over to the next sender, count against its health).
 */
import { FailureClass } from "@proto/otp/v1/common";

export type WhatsAppErrorKind =
  "not_a_user" | "rate_limited" | "template" | "auth" | "transient" | "permanent";

export interface WhatsAppErrorClass {
  kind: WhatsAppErrorKind;
  failureClass: FailureClass;
  /** "WHATSAPP_<code>", or WHATSAPP_HTTP_<status> when no code came back. */
  reason: string;
  /** Worth sending again on the same sender after a pause. */
  retryable: boolean;
  scope: "recipient" | "sender";
}

type Row = Omit<WhatsAppErrorClass, "reason" | "failureClass">;

const NOT_A_USER: Row = { kind: "not_a_user", retryable: false, scope: "recipient" };
const RATE_LIMITED: Row = { kind: "rate_limited", retryable: true, scope: "sender" };
const AUTH: Row = { kind: "auth", retryable: false, scope: "sender" };
const TRANSIENT: Row = { kind: "transient", retryable: true, scope: "sender" };
const RECIPIENT_PERMANENT: Row = { kind: "permanent", retryable: false, scope: "recipient" };
const SENDER_PERMANENT: Row = { kind: "permanent", retryable: false, scope: "sender" };

const TABLE: ReadonlyMap<number, Row> = new Map<number, Row>([
  // Undeliverable: not on WhatsApp, old client, or Meta chose not to deliver.
  [131026, NOT_A_USER],
  // Throughput: 130429 per number, 131056 business↔user pair, 80007 WABA, 4 / 613 app-level calls.
  [130429, RATE_LIMITED],
  [131056, RATE_LIMITED],
  [80007, RATE_LIMITED],
  [4, RATE_LIMITED],
  [613, RATE_LIMITED],
  [131048, RATE_LIMITED],
  // Token and permissions.
  [0, AUTH],
  [3, AUTH],
  [10, AUTH],
  [190, AUTH],
  [131005, AUTH],
  [133010, AUTH],
  // Meta-side trouble.
  [1, TRANSIENT],
  [2, TRANSIENT],
  [131000, TRANSIENT],
  [131016, TRANSIENT],
  [131057, TRANSIENT],
  // The request or the recipient, whatever the sender.
  [100, RECIPIENT_PERMANENT],
  [131008, RECIPIENT_PERMANENT],
  [131009, RECIPIENT_PERMANENT],
  [131021, RECIPIENT_PERMANENT],
  [131047, RECIPIENT_PERMANENT],
  [131049, RECIPIENT_PERMANENT],
  [131051, RECIPIENT_PERMANENT],
  [135000, RECIPIENT_PERMANENT],
  // The account behind one sender.
  [368, SENDER_PERMANENT],
  [131031, SENDER_PERMANENT],
  [131037, SENDER_PERMANENT],
  [131042, SENDER_PERMANENT],
  [131045, SENDER_PERMANENT],
]);

const FAILURE_CLASS: Record<WhatsAppErrorKind, FailureClass> = {
  not_a_user: FailureClass.FAILURE_CLASS_PERMANENT,
  rate_limited: FailureClass.FAILURE_CLASS_TRANSIENT,
  template: FailureClass.FAILURE_CLASS_PERMANENT,
  auth: FailureClass.FAILURE_CLASS_PERMANENT,
  transient: FailureClass.FAILURE_CLASS_TRANSIENT,
  permanent: FailureClass.FAILURE_CLASS_PERMANENT,
};

function rowFor(code: number | undefined, httpStatus: number | undefined): Row {
  if (code !== undefined) {
    const row = TABLE.get(code);
    if (row) return row;
    // 132000–132999: template missing, paused, disabled, parameter mismatch, policy.
    if (code >= 132000 && code <= 132999) return { kind: "template", retryable: false, scope: "sender" };
  }
  if (httpStatus === 429) return RATE_LIMITED;
  if (httpStatus !== undefined && httpStatus >= 500) return TRANSIENT;
  if (httpStatus === 401 || httpStatus === 403) return AUTH;
  return RECIPIENT_PERMANENT;
}

/** Classifies an error code (and/or HTTP status when the body had none). */
export function classifyWhatsAppError(code: number | undefined, httpStatus?: number): WhatsAppErrorClass {
  const row = rowFor(code, httpStatus);
  const reason = code !== undefined ? `WHATSAPP_${code}` : `WHATSAPP_HTTP_${httpStatus ?? 0}`;
  return { ...row, reason, failureClass: FAILURE_CLASS[row.kind] };
}
