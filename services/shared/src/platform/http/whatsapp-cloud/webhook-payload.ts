/**
 * The `messages` webhook (object "whatsapp_business_account"): entry[].changes[].value holds
 * `statuses[]` about messages we sent and `messages[]` that users sent us. Pure parsing; fields
 * we do not use are ignored, malformed items are skipped rather than failing the whole batch.
 * developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status
 */

export interface WebhookStatusError {
  code: number | undefined;
  title: string;
}

export interface WebhookStatus {
  /** wamid */
  id: string;
  status: string;
  /** Unix seconds as sent, turned into a Date (epoch 0 when absent). */
  timestamp: Date;
  recipientId: string;
  errors: WebhookStatusError[];
  /** The business phone number id the status is about. */
  phoneNumberId: string;
}

export interface InboundMessage {
  id: string;
  from: string;
  type: string;
  timestamp: Date;
  /** The message object as received (text, interactive, button…). */
  raw: Record<string, unknown>;
  phoneNumberId: string;
}

export interface WebhookBatch {
  statuses: WebhookStatus[];
  messages: InboundMessage[];
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const array = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const text = (value: unknown): string => (typeof value === "string" ? value : "");

function unixTime(value: unknown): Date {
  const seconds = typeof value === "string" ? Number(value) : typeof value === "number" ? value : 0;
  return new Date(Number.isFinite(seconds) ? seconds * 1000 : 0);
}

/** Throws TypeError when the body is not a webhook object at all. */
export function parseWebhookBatch(body: unknown): WebhookBatch {
  if (!isObject(body) || !Array.isArray(body.entry)) throw new TypeError("expected an object with entry[]");
  const batch: WebhookBatch = { statuses: [], messages: [] };
  for (const entry of body.entry) {
    if (!isObject(entry)) continue;
    for (const change of array(entry.changes)) {
      if (!isObject(change) || !isObject(change.value)) continue;
      const value = change.value;
      const phoneNumberId = isObject(value.metadata) ? text(value.metadata.phone_number_id) : "";
      for (const status of array(value.statuses)) {
        const parsed = parseStatus(status, phoneNumberId);
        if (parsed) batch.statuses.push(parsed);
      }
      for (const message of array(value.messages)) {
        if (!isObject(message) || text(message.id) === "") continue;
        batch.messages.push({
          id: text(message.id),
          from: text(message.from),
          type: text(message.type),
          timestamp: unixTime(message.timestamp),
          raw: message,
          phoneNumberId,
        });
      }
    }
  }
  return batch;
}

function parseStatus(status: unknown, phoneNumberId: string): WebhookStatus | undefined {
  if (!isObject(status) || text(status.id) === "" || text(status.status) === "") return undefined;
  return {
    id: text(status.id),
    status: text(status.status),
    timestamp: unixTime(status.timestamp),
    recipientId: text(status.recipient_id),
    errors: array(status.errors)
      .filter(isObject)
      .map((e) => ({ code: typeof e.code === "number" ? e.code : undefined, title: text(e.title) })),
    phoneNumberId,
  };
}
