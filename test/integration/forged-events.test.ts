/**
 * Someone who can write to Kafka appends events straight to the lifecycle topic with a plain
 * kafkajs producer: a VerificationOverridden with no MAC, one MACed with a key of their own in
 * verification's name, and a CodeChecked "verified" MACed with the SMS gateway's real key (a
 * compromised connector). None of them changes the verification: it stays pending and its code
 * still works, every consumer dead-letters them, and otp_events_rejected_total counts them.
 */
import assert from "node:assert/strict";
import { createSecretKey, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Kafka, logLevel, type Message } from "kafkajs";
import { CheckOutcome, EventEnvelope } from "@proto/otp/events/v1/events";
import { VerificationStatus } from "@proto/otp/v1/common";
import { StartVerificationRequest } from "@proto/otp/v1/issuance";
import { CheckCodeRequest, CheckResult } from "@proto/otp/v1/verification";
import { HEADERS } from "@platform/bus/codec";
import { DLQ_HEADERS } from "@platform/bus/delivery";
import { eventMacHeaders } from "@platform/bus/event-mac";
import { deadLetterTopicOf } from "@platform/bus/port";
import { envelope, type EventBody } from "@platform/events/envelope";
import { callUnary } from "@platform/grpc/client";
import { createMetrics } from "@platform/telemetry/metrics";
import { eventually } from "../contract/bus-fixtures";
import { testKafkaSecurity } from "../support/kafka-security";
import { requireEnv, startLifecycle, TOKENS, type LifecycleHarness } from "./lifecycle-harness";

let h: LifecycleHarness;
let kafka: Kafka;

before(async () => {
  h = await startLifecycle();
  kafka = new Kafka({
    clientId: "forger",
    brokers: requireEnv("KAFKA_BROKERS").split(","),
    logLevel: logLevel.NOTHING,
    ...testKafkaSecurity(),
  });
});
after(async () => {
  await h?.close();
});

/** A record as the bus would write it, with whatever MAC headers the forger can make. */
function forged(
  verificationId: string,
  body: EventBody,
  mac: (key: string, value: Buffer) => Record<string, string>,
) {
  const env = envelope({ verificationId, tenant: "acme", at: new Date() }, body);
  const value = Buffer.from(EventEnvelope.encode(env).finish());
  const message: Message = {
    key: verificationId,
    value,
    headers: {
      [HEADERS.contentType]: "application/x-protobuf; messageType=otp.events.v1.EventEnvelope",
      [HEADERS.eventType]: body.$case,
      [HEADERS.eventId]: env.eventId,
      [HEADERS.schemaVersion]: "1",
      ...mac(verificationId, value),
    },
  };
  return { eventId: env.eventId, message };
}

/** Every record of a topic from its beginning, as they arrive, until stopped. */
async function collect(topic: string) {
  const seen: Array<{ headers: Record<string, string> }> = [];
  const consumer = kafka.consumer({
    groupId: `forger-read-${randomBytes(4).toString("hex")}`,
    maxWaitTimeInMs: 200,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.headers ?? {})) {
        if (value !== undefined) headers[name] = (Array.isArray(value) ? value[0]! : value).toString();
      }
      seen.push({ headers });
    },
  });
  return Object.assign(seen, { stop: () => consumer.disconnect() });
}

describe("forged events on Kafka", () => {
  it("change nothing: the verification stays pending, the dead-letter topic holds them, the metric counts them", async () => {
    const started = await callUnary(
      h.issuance(TOKENS.acme),
      "startVerification",
      StartVerificationRequest.fromPartial({
        phone: `+62812${String(10_000_000 + Math.floor(Math.random() * 89_999_999))}`,
        purpose: "login",
        locale: "id",
        districtHint: "ID-JK-JKS",
      }),
    );
    const id = started.verification!.verificationId;
    const code = await h.codeOf(id);

    const override: EventBody = {
      $case: "verificationOverridden",
      value: { agent: "admin:mallory", approver: "admin:mallory", reason: "forged" },
    };
    const verified: EventBody = {
      $case: "codeChecked",
      value: { outcome: CheckOutcome.CHECK_OUTCOME_VERIFIED, checksUsed: 1, matchedAttempt: 1 },
    };
    const gatewayKey = h.eventKeys.split(",").find((entry) => entry.startsWith("gateway-smpp:"))!;
    const [, gatewayKeyId, gatewaySecret] = gatewayKey.split(":") as [string, string, string];
    const records = [
      forged(id, override, () => ({})),
      forged(id, override, (key, value) =>
        eventMacHeaders("verification", "k1", createSecretKey(randomBytes(32)), key, value),
      ),
      forged(id, verified, (key, value) =>
        eventMacHeaders(
          "gateway-smpp",
          gatewayKeyId,
          createSecretKey(Buffer.from(gatewaySecret, "base64")),
          key,
          value,
        ),
      ),
    ];
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({
        topic: h.platform.topics.verifications,
        acks: -1,
        messages: records.map((r) => r.message),
      });
    } finally {
      await producer.disconnect();
    }

    // The projector (the consumer that would fold them) dead-letters all three, with the reason.
    const dlq = deadLetterTopicOf(h.platform.topics.verifications);
    const forgedIds = new Set(records.map((r) => r.eventId));
    const letters = await collect(dlq);
    const projected = () =>
      letters.filter(
        (l) =>
          l.headers[DLQ_HEADERS.consumerGroup] === "otp-projector" &&
          forgedIds.has(l.headers[HEADERS.eventId] ?? ""),
      );
    try {
      await eventually(() => projected().length === records.length, 60_000);
    } finally {
      await letters.stop();
    }
    const dead = projected();
    assert.deepEqual(dead.map((l) => l.headers[DLQ_HEADERS.errorCode]).sort(), [
      "EVENT_NOT_OWNED",
      "EVENT_UNAUTHENTICATED",
      "EVENT_UNAUTHENTICATED",
    ]);
    assert.ok(dead.every((l) => l.headers[DLQ_HEADERS.originalTopic] === h.platform.topics.verifications));

    const now = await callUnary(h.issuance(TOKENS.acme), "getVerification", { verificationId: id });
    assert.equal(now.verification!.status, VerificationStatus.VERIFICATION_STATUS_PENDING);

    const metrics = createMetrics({ service: "it", processMetrics: false });
    metrics.readEventRejectionsFrom(h.platform.eventRejections);
    const lines = (await metrics.registry.getSingleMetricAsString("otp_events_rejected_total")).split("\n");
    const count = (reason: string, type: string) =>
      Number(
        lines
          .find((l) => l.includes(`reason="${reason}"`) && l.includes(`event_type="${type}"`))
          ?.split(" ")
          .pop() ?? 0,
      );
    assert.ok(count("missing_mac", "verificationOverridden") >= 1);
    assert.ok(count("bad_mac", "verificationOverridden") >= 1);
    assert.ok(count("not_owner", "codeChecked") >= 1);

    // The code was not used up by the forged "verified" check: the user's own check succeeds.
    const checked = await callUnary(
      h.verification(TOKENS.acme),
      "checkCode",
      CheckCodeRequest.fromPartial({ target: { $case: "verificationId", value: id }, code }),
    );
    assert.equal(checked.result, CheckResult.CHECK_RESULT_VERIFIED);
  });
});
