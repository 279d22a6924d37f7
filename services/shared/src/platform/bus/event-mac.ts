/**
 * Events that prove who wrote them (ADR 0010). The producing service MACs the bytes the bus
 * already encoded (no second encoding): HMAC-SHA256 under its own active key over the record's
 * partition key and value, carried in headers with the producer's name and the key id:
 *
 *   otp-producer: routing
 *   otp-mac:      <key id>:<base64url of the 32-byte HMAC>
 *
 * A reader recomputes the MAC with that producer's key and accepts the event only when it
 * matches and the producer owns the event type (ownership.ts). Anything else is rejected with
 * a non-retryable error (the bus dead-letters it, its handler never sees it) and counted.
 */
import { createHmac, type KeyObject, timingSafeEqual } from "node:crypto";
import type { EventEnvelope } from "@proto/otp/events/v1/events";
import type { EventKeyRing } from "../crypto/event-keys";
import { OtpError } from "@domain/errors";
import { isProducer, ownerOf, type Producer } from "@domain/events/ownership";

export const MAC_HEADERS = { producer: "otp-producer", mac: "otp-mac" } as const;

/** Why an event was refused, as in the `reason` label of otp_events_rejected_total. */
export type RejectReason = "missing_mac" | "unknown_key" | "bad_mac" | "not_owner";

export interface EventRejection {
  reason: RejectReason;
  /** The envelope's event type ("none" for an envelope of no known type). */
  eventType: string;
  count: number;
}

export interface EventAuthenticator {
  /** The MAC headers of an encoded envelope; throws when this process does not sign as its owner. */
  readonly sign: (envelope: EventEnvelope, key: string, value: Uint8Array) => Record<string, string>;
  /** Throws a non-retryable OtpError (and counts it) unless the owner MACed these bytes. */
  verify(
    message: { key: string; value: Uint8Array | null; headers: Readonly<Record<string, string>> },
    envelope: EventEnvelope,
  ): void;
  /** Rejections so far, per reason and event type (running totals, for metrics). */
  rejections(): EventRejection[];
}

export function createEventAuthenticator(ring: EventKeyRing): EventAuthenticator {
  const rejected = new Map<string, EventRejection>();
  const reject = (reason: RejectReason, envelope: EventEnvelope, detail: string): never => {
    const eventType = envelope.event?.$case ?? "none";
    const tally = rejected.get(`${reason}|${eventType}`) ?? { reason, eventType, count: 0 };
    tally.count += 1;
    rejected.set(`${reason}|${eventType}`, tally);
    throw new OtpError(
      reason === "not_owner" ? "EVENT_NOT_OWNED" : "EVENT_UNAUTHENTICATED",
      `${eventType} event refused: ${detail}`,
    );
  };
  const signers = new Map<Producer, { keyId: string; key: KeyObject }>();
  for (const [producer, keyId] of ring.active) {
    const key = ring.keys.get(producer)?.get(keyId);
    if (key) signers.set(producer, { keyId, key });
  }
  // An envelope of no known type is signed by the first identity held (tests, newer tools).
  const fallback = [...signers.entries()][0];

  return {
    sign(envelope, key, value) {
      const owner = ownerOf(envelope);
      const signer = owner === undefined ? fallback : ([owner, signers.get(owner)] as const);
      if (signer === undefined || signer[1] === undefined) {
        throw new OtpError(
          "EVENT_NOT_OWNED",
          `this process does not write ${envelope.event?.$case ?? "untyped"} events` +
            (owner ? ` (owned by ${owner}; its key is not in OTP_EVENT_KEYS)` : ""),
        );
      }
      const [producer, { keyId, key: secret }] = signer as [Producer, { keyId: string; key: KeyObject }];
      return eventMacHeaders(producer, keyId, secret, key, value);
    },

    verify(message, envelope) {
      const producer = message.headers[MAC_HEADERS.producer];
      const header = message.headers[MAC_HEADERS.mac];
      if (producer === undefined || header === undefined) return reject("missing_mac", envelope, "no MAC");
      const separator = header.indexOf(":");
      const keyId = header.slice(0, separator);
      const key = isProducer(producer) ? ring.keys.get(producer)?.get(keyId) : undefined;
      if (separator < 0 || key === undefined) {
        return reject("unknown_key", envelope, `no event key ${producer.slice(0, 40)}:${keyId.slice(0, 40)}`);
      }
      const given = Buffer.from(header.slice(separator + 1), "base64url");
      const expected = macOf(key, message.key, message.value ?? new Uint8Array());
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return reject("bad_mac", envelope, `MAC does not match ${producer}'s key ${keyId}`);
      }
      const owner = ownerOf(envelope);
      if (owner !== undefined && owner !== producer) {
        return reject("not_owner", envelope, `written by ${producer}, owned by ${owner}`);
      }
    },

    rejections: () => [...rejected.values()].map((r) => ({ ...r })),
  };
}

/** The headers that say `producer` wrote these bytes, under its key `keyId`. */
export function eventMacHeaders(
  producer: string,
  keyId: string,
  secret: KeyObject,
  key: string,
  value: Uint8Array,
): Record<string, string> {
  return {
    [MAC_HEADERS.producer]: producer,
    [MAC_HEADERS.mac]: `${keyId}:${macOf(secret, key, value).toString("base64url")}`,
  };
}

/** HMAC-SHA256 over the partition key (length-prefixed, so key and value cannot trade bytes) and value. */
function macOf(secret: KeyObject, key: string, value: Uint8Array): Buffer {
  const keyBytes = Buffer.from(key, "utf8");
  const length = Buffer.alloc(4);
  length.writeUInt32BE(keyBytes.length);
  return createHmac("sha256", secret).update(length).update(keyBytes).update(value).digest();
}
