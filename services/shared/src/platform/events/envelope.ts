/**
 * Building envelopes: every event gets a unique id, the current schema version, its time and,
 * where known, the event that caused it.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { EventEnvelope } from "@proto/otp/events/v1/events";
import type { EventBody, EventCase, EventOf } from "@domain/events/event-case";
import { CURRENT_SCHEMA_VERSION } from "../bus/codec";

export type { EventBody, EventCase, EventOf };

export interface EnvelopeInput {
  verificationId: string;
  tenant: string;
  at: Date;
  causationId?: string;
  eventId?: string;
}

export function envelope(input: EnvelopeInput, event: EventBody): EventEnvelope {
  return {
    eventId: input.eventId ?? randomUUID(),
    verificationId: input.verificationId,
    tenant: input.tenant,
    occurredAt: input.at,
    schemaVersion: CURRENT_SCHEMA_VERSION,
    causationId: input.causationId ?? "",
    event,
  };
}

/** Narrows an envelope to one event type, or undefined. */
export function eventOf<C extends EventCase>(env: EventEnvelope, kind: C): EventOf<C> | undefined {
  const event = env.event as { $case: string; value: unknown } | undefined;
  return event?.$case === kind ? (event.value as EventOf<C>) : undefined;
}

/** 128 random bits, URL-safe: unguessable verification ids (`ver_…`). */
export function newVerificationId(): string {
  return `ver_${randomBytes(16).toString("base64url")}`;
}

export const VERIFICATION_ID_PATTERN = /^ver_[A-Za-z0-9_-]{22}$/;
