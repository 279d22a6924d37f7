/**
 * Delivery receipts (deliver_sm / data_sm with esm_class 0x04): the TLVs receipted_message_id
 * (0x001E) and message_state (0x0427) when present, else the de-facto text format of SMPP 3.4
 * Appendix B: `id:<id> sub:001 dlvrd:001 submit date:YYMMDDhhmm done date:YYMMDDhhmm
 * stat:DELIVRD err:000 text:...`.
 */
export type ReceiptStatus =
  "enroute" | "delivered" | "expired" | "deleted" | "undeliverable" | "accepted" | "unknown" | "rejected";

const ESM_CLASS_RECEIPT_MASK = 0x3c;
export const ESM_CLASS_DELIVERY_RECEIPT = 0x04;

/** message_state TLV values (SMPP 3.4 §5.2.28). */
const STATE_BY_CODE: Readonly<Record<number, ReceiptStatus>> = {
  1: "enroute",
  2: "delivered",
  3: "expired",
  4: "deleted",
  5: "undeliverable",
  6: "accepted",
  7: "unknown",
  8: "rejected",
};

const STATE_BY_STAT: Readonly<Record<string, ReceiptStatus>> = {
  ENROUTE: "enroute",
  DELIVRD: "delivered",
  EXPIRED: "expired",
  DELETED: "deleted",
  UNDELIV: "undeliverable",
  ACCEPTD: "accepted",
  UNKNOWN: "unknown",
  REJECTD: "rejected",
};

export const STAT_BY_STATUS: Readonly<Record<ReceiptStatus, string>> = {
  enroute: "ENROUTE",
  delivered: "DELIVRD",
  expired: "EXPIRED",
  deleted: "DELETED",
  undeliverable: "UNDELIV",
  accepted: "ACCEPTD",
  unknown: "UNKNOWN",
  rejected: "REJECTD",
};

export const MESSAGE_STATE_BY_STATUS: Readonly<Record<ReceiptStatus, number>> = {
  enroute: 1,
  delivered: 2,
  expired: 3,
  deleted: 4,
  undeliverable: 5,
  accepted: 6,
  unknown: 7,
  rejected: 8,
};

export interface DeliveryReceipt {
  messageId: string;
  status: ReceiptStatus;
  /** Final states end the message's life at the SMSC; enroute/accepted do not. */
  final: boolean;
  /** The `err:` field (network/SMSC specific), when given. */
  errorCode: string | undefined;
  submitDate: string | undefined;
  doneDate: string | undefined;
  /** When the deliver_sm reached this gateway (ms), set by the session that read it. */
  receivedAtMs?: number;
}

export interface ReceiptFields {
  esmClass: number;
  receiptedMessageId: string | undefined;
  messageState: number | undefined;
  text: string | undefined;
}

export function isReceipt(esmClass: number): boolean {
  return (esmClass & ESM_CLASS_RECEIPT_MASK) === ESM_CLASS_DELIVERY_RECEIPT;
}

/** Parses a receipt; undefined when it is not one or carries no usable id and status. */
export function parseDeliveryReceipt(fields: ReceiptFields): DeliveryReceipt | undefined {
  if (!isReceipt(fields.esmClass)) return undefined;
  const text = fields.text === undefined ? {} : parseReceiptText(fields.text);
  const messageId = nonEmpty(fields.receiptedMessageId) ?? text.id;
  const status =
    (fields.messageState === undefined ? undefined : STATE_BY_CODE[fields.messageState]) ??
    (text.stat === undefined ? undefined : STATE_BY_STAT[text.stat.toUpperCase()]);
  if (messageId === undefined || status === undefined) return undefined;
  return {
    messageId,
    status,
    final: status !== "enroute" && status !== "accepted",
    errorCode: text.err,
    submitDate: text["submit date"],
    doneDate: text["done date"],
  };
}

const RECEIPT_FIELD = /\b(id|sub|dlvrd|submit date|done date|stat|err):(\S*)/gi;

/** Fields of the receipt text before `text:` (which is free text and may contain anything). */
export function parseReceiptText(text: string): Record<string, string | undefined> {
  const head = text.split(/\btext:/i)[0] ?? "";
  const fields: Record<string, string | undefined> = {};
  for (const match of head.matchAll(RECEIPT_FIELD)) {
    const key = (match[1] ?? "").toLowerCase();
    if (fields[key] === undefined) fields[key] = nonEmpty(match[2]);
  }
  return fields;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

export interface ReceiptTextInput {
  messageId: string;
  status: ReceiptStatus;
  submitDate: Date;
  doneDate: Date;
  errorCode?: number;
}

/** Formats the standard receipt text (dates as UTC YYMMDDhhmm). */
export function formatReceiptText(input: ReceiptTextInput): string {
  const delivered = input.status === "delivered" ? "001" : "000";
  const err = String(input.errorCode ?? 0).padStart(3, "0");
  return (
    `id:${input.messageId} sub:001 dlvrd:${delivered} submit date:${smppDate(input.submitDate)} ` +
    `done date:${smppDate(input.doneDate)} stat:${STAT_BY_STATUS[input.status]} err:${err} text:`
  );
}

function smppDate(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, "0");
  return (
    two(date.getUTCFullYear() % 100) +
    two(date.getUTCMonth() + 1) +
    two(date.getUTCDate()) +
    two(date.getUTCHours()) +
    two(date.getUTCMinutes())
  );
}
