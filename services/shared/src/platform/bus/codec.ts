/**
 * How an EventEnvelope travels: protobuf binary value, partition key, and headers that let
 * tools route or inspect a message without decoding it. Both bus adapters use this, so the
 * in-process bus stores exactly the bytes Kafka would.
 */
import { EventEnvelope } from "@proto/otp/events/v1/events";
import { OtpError } from "@domain/errors";
import type { MessageMeta } from "./port";

/** The envelope schema this code writes and the newest it can read. */
export const CURRENT_SCHEMA_VERSION = 1;

const CONTENT_TYPE = "application/x-protobuf; messageType=otp.events.v1.EventEnvelope";

export const HEADERS = {
  contentType: "content-type",
  eventType: "otp-event-type",
  eventId: "otp-event-id",
  schemaVersion: "otp-schema-version",
} as const;

/** The name of an envelope's event, as in the `otp-event-type` header. */
export type EventType = NonNullable<EventEnvelope["event"]>["$case"];

/**
 * A subscription filter (SubscribeOptions.accepts) for some event types, read from the
 * `otp-event-type` header; a message without that header is let through to be decoded.
 */
export function eventTypes(...types: EventType[]): (message: MessageMeta) => boolean {
  const wanted: ReadonlySet<string> = new Set(types);
  return ({ headers }) => {
    const type = headers[HEADERS.eventType];
    return type === undefined || wanted.has(type);
  };
}

/** A message as it is stored on a topic: key, bytes and string headers. */
export interface RawMessage {
  key: string;
  value: Uint8Array | null;
  headers: Record<string, string>;
}

/** A message as read back from a topic. */
export interface StoredMessage extends RawMessage {
  topic: string;
  partition: number;
  /** Offset within the partition, as a decimal string. */
  offset: string;
}

/** Adapters implement this beside EventBus: writes bytes as they are (tests, DLQ replay). */
export interface RawPublisher {
  publishRaw(topic: string, message: RawMessage): Promise<void>;
}

/** Fills in the schema version when the producer left it unset. */
function stampSchemaVersion(envelope: EventEnvelope): EventEnvelope {
  return envelope.schemaVersion === 0 ? { ...envelope, schemaVersion: CURRENT_SCHEMA_VERSION } : envelope;
}

/** The partition key: the given one, else the verification id, else the event id. */
function partitionKeyOf(envelope: EventEnvelope, key: string | undefined): string {
  const chosen = key || envelope.verificationId || envelope.eventId;
  if (!chosen) {
    throw new OtpError("OTP_INVALID_ARGUMENT", "event needs a key, a verification id or an event id");
  }
  return chosen;
}

/** Headers that authenticate an encoded envelope (event-mac.ts), computed over the bytes made here. */
export type EnvelopeSigner = (
  envelope: EventEnvelope,
  key: string,
  value: Uint8Array,
) => Record<string, string>;

export function encodeEnvelope(
  envelope: EventEnvelope,
  key: string | undefined,
  extraHeaders: Record<string, string> | undefined,
  sign?: EnvelopeSigner,
): RawMessage {
  const stamped = stampSchemaVersion(envelope);
  const partitionKey = partitionKeyOf(stamped, key);
  const value = EventEnvelope.encode(stamped).finish();
  return {
    key: partitionKey,
    value,
    headers: {
      ...extraHeaders,
      ...sign?.(stamped, partitionKey, value),
      [HEADERS.contentType]: CONTENT_TYPE,
      [HEADERS.eventType]: stamped.event?.$case ?? "none",
      [HEADERS.eventId]: stamped.eventId,
      [HEADERS.schemaVersion]: String(stamped.schemaVersion),
    },
  };
}

/**
 * Decodes a stored value. Throws EVENT_DECODE_FAILED for bytes that are not an envelope and
 * EVENT_SCHEMA_UNSUPPORTED for envelopes newer than this code understands.
 */
export function decodeEnvelope(
  value: Uint8Array | null,
  maxSchemaVersion: number = CURRENT_SCHEMA_VERSION,
): EventEnvelope {
  if (value === null || value.length === 0) {
    throw new OtpError("EVENT_DECODE_FAILED", "message has no value");
  }
  let envelope: EventEnvelope;
  try {
    envelope = EventEnvelope.decode(value);
  } catch (err) {
    throw new OtpError("EVENT_DECODE_FAILED", "message is not an EventEnvelope", { cause: err });
  }
  // Any byte string can parse as a message full of unknown fields; every real envelope has
  // an event id. (An unknown `event` case is fine: it is a newer event an old reader skips.)
  if (envelope.eventId === "") {
    throw new OtpError("EVENT_DECODE_FAILED", "message is not an EventEnvelope (no event id)");
  }
  if (envelope.schemaVersion > maxSchemaVersion) {
    throw new OtpError(
      "EVENT_SCHEMA_UNSUPPORTED",
      `envelope schema version ${envelope.schemaVersion} is newer than ${maxSchemaVersion}`,
    );
  }
  return envelope;
}
