/**
 * Test wiring for channel connectors on the real lifecycle topic: a Kafka bus and a Redis store
 * (KAFKA_BROKERS / REDIS_URL; `npm test` starts both) under a random prefix, an observer group
 * collecting every DeliveryReported, sealed DispatchRequested envelopes, and a clean-up that
 * deletes the topics, groups and keys. Missing brokers fail the test rather than skip it.
 * The in-process variant gives the same fixture on the all-in-one adapters.
 */
import { randomBytes } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import type { EventEnvelope } from "@proto/otp/events/v1/events";
import { Channel } from "@proto/otp/v1/common";
import { createKafkaBus } from "@platform/bus/kafka";
import { createMemoryBus } from "@platform/bus/memory";
import type { BusMessage, EventBus, Subscription } from "@platform/bus/port";
import { secretsFromEnv, type SecretMaterial } from "@platform/crypto/keys";
import { createSealer, sealedField, type Sealer } from "@platform/crypto/sealer";
import { envelope, eventOf, type EventBody, type EventOf } from "@platform/events/envelope";
import { topicNames, topicSpecs, type TopicNames } from "@platform/bus/topics";
import { createMemoryStore } from "@platform/store/memory";
import type { Store } from "@platform/store/port";
import { createRedisStore } from "@platform/store/redis";
import { testKafkaSecurity } from "./kafka-security";

export interface LifecycleFixture {
  prefix: string;
  topics: TopicNames;
  bus: EventBus;
  store: Store;
  /** For the service under test: built from the same keys as `sealer`. */
  secrets: SecretMaterial;
  /** The test's own sealer. */
  sealer: Sealer;
  /** Every DeliveryReported seen on the verifications topic, in arrival order. */
  receipts: BusMessage[];
  /** The receipts of a verification, with the message key and the envelope's tenant. */
  receiptsOf(verificationId: string): Array<EventOf<"deliveryReported"> & { key: string; tenant: string }>;
  publish(event: EventEnvelope): Promise<void>;
  close(): Promise<void>;
}

/** Two sealers over the same throwaway keys: the service's and the test's. */
function testKeys(): { secrets: SecretMaterial; sealer: Sealer } {
  const key = randomBytes(32);
  const secrets = secretsFromEnv(
    {
      OTP_ENCRYPTION_KEYS: `t1:${key.toString("hex")}`,
      OTP_CODE_HASH_SECRET: randomBytes(32).toString("hex"),
    },
    { allowEphemeral: false },
  );
  return { secrets, sealer: createSealer({ activeKeyId: "t1", keys: new Map([["t1", key]]) }) };
}

export async function startLifecycleFixture(
  name: string,
  wires: "kafka+redis" | "in-process" = "kafka+redis",
): Promise<LifecycleFixture> {
  const prefix = `${name}-${randomBytes(4).toString("hex")}`;
  const topics = topicNames(`${prefix}.`);
  const real = wires === "kafka+redis";
  const brokers = process.env.KAFKA_BROKERS;
  const redisUrl = process.env.REDIS_URL;
  if (real && (!brokers || !redisUrl)) {
    throw new Error("KAFKA_BROKERS and REDIS_URL must be set: run through `npm test` or export them");
  }
  const bus = real
    ? createKafkaBus({ brokers: brokers ?? "", clientId: prefix, kafkaConfig: testKafkaSecurity() })
    : createMemoryBus();
  const storePrefix = `otp-test:${prefix}:`;
  const store = real
    ? createRedisStore({ url: redisUrl ?? "", prefix: storePrefix })
    : createMemoryStore({ prefix: storePrefix });
  const { secrets, sealer } = testKeys();
  const receipts: BusMessage[] = [];
  await bus.ensureTopics(topicSpecs(topics));
  const observer: Subscription = await bus.subscribe({
    groupId: `${prefix}-observer`,
    topics: [topics.verifications],
    handler: async (message) => {
      if (eventOf(message.envelope, "deliveryReported")) receipts.push(message);
    },
  });
  await observer.ready;

  return {
    prefix,
    topics,
    bus,
    store,
    secrets,
    sealer,
    receipts,
    receiptsOf: (verificationId) =>
      receipts
        .filter((m) => m.envelope.verificationId === verificationId)
        .flatMap((m) => {
          const receipt = eventOf(m.envelope, "deliveryReported");
          return receipt ? [{ ...receipt, key: m.key, tenant: m.envelope.tenant }] : [];
        }),
    publish: (event) => bus.publish(topics.verifications, event),
    async close() {
      await observer.stop();
      await bus.close();
      await store.clear();
      await store.close();
      if (real) await deleteKafkaPrefix(brokers ?? "", prefix);
    },
  };
}

async function deleteKafkaPrefix(brokers: string, prefix: string): Promise<void> {
  const kafka = new Kafka({
    clientId: `${prefix}-cleanup`,
    brokers: brokers.split(","),
    logLevel: logLevel.NOTHING,
    ...testKafkaSecurity(),
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    const groups = (await admin.listGroups()).groups
      .map((g) => g.groupId)
      .filter((g) => g.startsWith(prefix));
    if (groups.length > 0) await admin.deleteGroups(groups);
  } finally {
    await admin.disconnect();
  }
}

export interface DispatchSpec {
  verificationId: string;
  attempt: number;
  channel: Channel;
  phone: string;
  code: string;
  expiresAt: Date;
  tenant?: string;
  locale?: string;
  district?: string;
  operator?: string;
}

/** DispatchRequested as routing publishes it: phone and code sealed to their verification. */
export function dispatchRequested(sealer: Sealer, spec: DispatchSpec): EventEnvelope {
  const { verificationId } = spec;
  return envelope(
    { verificationId, tenant: spec.tenant ?? "bank-a", at: new Date() },
    {
      $case: "dispatchRequested",
      value: {
        attempt: spec.attempt,
        channel: spec.channel,
        route: "",
        phone: sealer.seal(spec.phone, sealedField(verificationId, "phone")),
        code: sealer.seal(spec.code, sealedField(verificationId, "code")),
        locale: spec.locale ?? "id-ID",
        purpose: "login",
        expiresAt: spec.expiresAt,
        district: spec.district ?? "ID-JK-JS",
        operator: spec.operator ?? "id-telkomsel",
        country: "ID",
        transaction: undefined,
        stepTimeoutSeconds: 30,
        maskedPhone: "",
        stepIndex: 0,
      },
    },
  );
}

/** Another event of a verification's life (CodeChecked, VerificationCancelled…). */
export function lifecycleEvent(verificationId: string, event: EventBody, tenant = "bank-a"): EventEnvelope {
  return envelope({ verificationId, tenant, at: new Date() }, event);
}

let sequence = 0;

/** A fresh verification id, phone number under `prefix` and 6-digit code. */
export function freshVerification(prefix = "62812"): { verificationId: string; phone: string; code: string } {
  sequence += 1;
  return {
    verificationId: `ver_${randomBytes(16).toString("base64url")}`,
    phone: `+${prefix}${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`,
    code: String(100000 + ((sequence * 7919 + Math.floor(Math.random() * 900000)) % 900000)),
  };
}

/** Polls until `check` is true; fails after `timeoutMs` naming `what`. */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
