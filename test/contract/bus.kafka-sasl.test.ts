/**
 * The EventBus contract once more, over the broker's SASL_SSL listener (TLS with a CA of the
 * test's own and a client certificate, SCRAM-SHA-512), configured the way services are, from
 * KAFKA_* variables (kafkaSecurityFromEnv); and proof that the listener refuses a wrong password
 * and a client without TLS. (The processor contract, which only adds transactional producers of
 * the same client, is left to the plaintext run: it would double this file's time.) `npm test` starts the broker with that listener and names it in
 * TEST_KAFKA_SECURE; without it (brokers given from outside) this file starts its own.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Kafka, type KafkaConfig, logLevel } from "kafkajs";
import { createKafkaBus } from "@platform/bus/kafka";
import { type KafkaSecurity, kafkaSecurityFromEnv } from "@platform/bus/kafka-security";
import { type KafkaBroker, startKafka } from "../harness/kafka";
import { envelopeFor } from "./bus-fixtures";
import { busContract, type BusFixtureFactory } from "./bus.contract";
import { deleteByPrefix, readRaw } from "./kafka-fixtures";

let own: KafkaBroker | undefined;
let secureEnv: Record<string, string>;
let security: KafkaSecurity;
let brokers: string;
let tools: Kafka;

before(async () => {
  if (process.env.TEST_KAFKA_SECURE) {
    secureEnv = JSON.parse(process.env.TEST_KAFKA_SECURE) as Record<string, string>;
  } else {
    own = await startKafka({ secure: true });
    secureEnv = own.secure!.env;
  }
  brokers = secureEnv.KAFKA_BROKERS!;
  security = kafkaSecurityFromEnv(secureEnv);
  tools = new Kafka({
    clientId: "sasl-contract-tools",
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    ...security,
  });
});

after(async () => {
  await own?.stop();
});

const secureFixture: BusFixtureFactory = async ({ prefix }) => {
  const bus = createKafkaBus({ brokers, clientId: prefix, kafkaConfig: security });
  return {
    bus,
    readRaw: (topic, count) => readRaw(tools, topic, count, `${prefix}-raw-${randomUUID().slice(0, 6)}`),
    cleanup: async () => {
      await bus.close();
      await deleteByPrefix(tools, prefix);
    },
  };
};

busContract("Kafka over SASL_SSL", secureFixture, { concurrency: 3 });

describe("Kafka SASL_SSL listener", () => {
  /** Connects a client with these settings and lists topics: resolves, or rejects with why not. */
  const attempt = async (config: Omit<KafkaConfig, "brokers" | "clientId">): Promise<void> => {
    const admin = new Kafka({
      clientId: `sasl-refusal-${randomUUID().slice(0, 6)}`,
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      ...config,
    }).admin();
    try {
      await admin.connect();
      await admin.listTopics();
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };

  it("serves a client with the CA, its certificate and the SCRAM password", async () => {
    await attempt(security);
  });

  it("refuses a wrong password", async () => {
    await assert.rejects(
      attempt({
        ...security,
        sasl: {
          mechanism: "scram-sha-512",
          username: secureEnv.KAFKA_SASL_USERNAME!,
          password: "not-the-password",
        },
      }),
      { name: "KafkaJSSASLAuthenticationError" },
    );
  });

  it("refuses a client without TLS, and one with TLS but no SASL", async () => {
    await assert.rejects(attempt({ sasl: security.sasl, connectionTimeout: 3_000 }));
    await assert.rejects(attempt({ ssl: security.ssl, connectionTimeout: 3_000 }));
  });

  it("makes the bus fail as unavailable, not hang, when its password is wrong", async () => {
    const bus = createKafkaBus({
      brokers,
      clientId: `sasl-wrong-${randomUUID().slice(0, 6)}`,
      kafkaConfig: {
        ...kafkaSecurityFromEnv({ ...secureEnv, KAFKA_SASL_PASSWORD: "not-the-password" }),
        // The idempotent producer refuses to run without retries: one, quickly.
        retry: { retries: 1, initialRetryTime: 50 },
      },
    });
    try {
      await assert.rejects(bus.ensureTopics([{ name: `sasl-wrong-${randomUUID().slice(0, 6)}` }]), {
        code: "OTP_DEPENDENCY_UNAVAILABLE",
      });
      await assert.rejects(bus.publish("anything", envelopeFor("ver-sasl", 0)), {
        code: "OTP_DEPENDENCY_UNAVAILABLE",
      });
    } finally {
      await bus.close();
    }
  });
});
