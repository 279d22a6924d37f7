/**
 * Test data and polling helpers for the bus contract.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { EventEnvelope } from "@proto/otp/events/v1/events";
import { Channel } from "@proto/otp/v1/common";
import type { BusMessage, MessageHandler } from "@platform/bus/port";

/** An envelope with every field set; `seq` is recoverable with sequenceOf(). */
export function envelopeFor(verificationId: string, seq: number): EventEnvelope {
  const bytes = (n: number, fill: number) => Buffer.alloc(n, fill);
  return {
    eventId: `${verificationId}/${seq}/${Math.random().toString(36).slice(2, 10)}`,
    verificationId,
    tenant: "tenant-contract",
    occurredAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)),
    schemaVersion: 1,
    causationId: `cause-${seq}`,
    event: {
      $case: "dispatchRequested",
      value: {
        attempt: seq + 1,
        channel: Channel.CHANNEL_SMS,
        route: "smpp-telkomsel-1",
        phone: { keyId: "k1", iv: bytes(12, 1), ciphertext: bytes(16, 2), tag: bytes(16, 3) },
        code: { keyId: "k1", iv: bytes(12, 4), ciphertext: bytes(6, 5), tag: bytes(16, 6) },
        locale: "id-ID",
        purpose: "login",
        expiresAt: new Date(Date.UTC(2026, 0, 2, 3, 14, 5, 0)),
        district: "ID-JK-JS",
        operator: "telkomsel",
        country: "ID",
        transaction: undefined,
        stepTimeoutSeconds: 45,
        maskedPhone: "+62812****5678",
        stepIndex: 0,
      },
    },
  };
}

export function sequenceOf(message: BusMessage): number {
  return Number(message.envelope.eventId.split("/")[1]);
}

export interface Collector {
  messages: BusMessage[];
  handler: MessageHandler;
  eventIds(): string[];
}

export function collector(): Collector {
  const messages: BusMessage[] = [];
  return {
    messages,
    handler: async (message) => {
      messages.push(message);
    },
    eventIds: () => messages.map((m) => m.envelope.eventId),
  };
}

/** Polls `condition` until it holds; fails after `timeoutMs` (generous: brokers rebalance). */
export async function eventually(condition: () => boolean, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(25);
  }
}
