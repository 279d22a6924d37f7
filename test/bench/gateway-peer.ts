/**
 * gateway-smpp on its full product path, as deployed: its own process (main.ts) on real Kafka
 * and Redis, one SMPP transceiver bind to the given SMSC. The bench publishes DispatchRequested
 * events (phone and code sealed, as routing writes them) and reads DeliveryReported back from
 * the same topic: dispatch event → submit_sm → receipt → delivery event.
 */
import { randomBytes, randomInt, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { EventEnvelope } from "@proto/otp/events/v1/events";
import { Channel, DeliveryStatus } from "@proto/otp/v1/common";
import { eventTypes } from "@platform/bus/codec";
import { createKafkaBus } from "@platform/bus/kafka";
import { testEventAuth } from "../support/event-auth";
import { testKafkaSecurity } from "../support/kafka-security";
import type { Subscription } from "@platform/bus/port";
import { secretsFromEnv } from "@platform/crypto/keys";
import { sealedField, type Sealer } from "@platform/crypto/sealer";
import { envelope, eventOf, newVerificationId } from "@platform/events/envelope";
import { topicNames, topicSpecs } from "@platform/bus/topics";
import { maskPhone } from "@domain/privacy";
import { startServiceProcess, type ServiceProcess } from "./service-processes";

export interface GatewayPeerOptions {
  brokers: string;
  redisUrl: string;
  smsc: { host: string; port: number; systemId: string; password: string };
  window: number;
  /** Environment for the gateway process on top of the deployment's (e.g. NODE_OPTIONS). */
  extraEnv?: Record<string, string>;
  /** Called for every DELIVERED event: the message's number. */
  onDelivered: (message: number) => void;
}

export interface GatewayPeer {
  pids: number[];
  /** Publishes the dispatches of these messages (one batch write). */
  send(
    messages: number[],
    phoneOf: (message: number) => string,
    codeOf: (message: number) => string,
  ): Promise<void>;
  /** Log lines at warn or error, by message. */
  warnings(): Record<string, number>;
  stop(): Promise<void>;
}

/** The text both gateways send: the built-in English template with this brand. */
const PEER_BRAND = "Bench";
export const peerText = (code: string): string =>
  `${code} is your ${PEER_BRAND} verification code. Valid for 5 minutes. Do NOT share this code with anyone.`;
export const peerCode = (): string => String(randomInt(100_000, 1_000_000));

const PARTITIONS = 12;

export async function startGatewayPeer(o: GatewayPeerOptions): Promise<GatewayPeer> {
  const prefix = `bench-peer-${randomUUID().slice(0, 8)}`;
  const dir = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
  const file = (name: string, content: string): string => {
    const at = path.join(dir, name);
    writeFileSync(at, content, { mode: 0o600 });
    return at;
  };
  const keys = {
    OTP_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
    OTP_CODE_HASH_SECRET: randomBytes(32).toString("base64"),
  };
  const { sealer } = secretsFromEnv(keys, { allowEphemeral: false });
  const topics = topicNames(`${prefix}.`);
  // The bench writes routing's dispatches, signed as routing; the gateway holds the same keys.
  const auth = testEventAuth();
  const bus = createKafkaBus({
    brokers: o.brokers,
    clientId: prefix,
    maxWaitTimeMs: 50,
    authenticator: auth.authenticator,
    kafkaConfig: testKafkaSecurity(),
  });
  let gateway: ServiceProcess | undefined;
  let reports: Subscription | undefined;
  const numberOf = new Map<string, number>();
  const onReport = (env: EventEnvelope): void => {
    const report = eventOf(env, "deliveryReported");
    const message = numberOf.get(env.verificationId);
    if (report?.status === DeliveryStatus.DELIVERY_STATUS_DELIVERED && message !== undefined) {
      numberOf.delete(env.verificationId);
      o.onDelivered(message);
    }
  };
  const stop = async (): Promise<void> => {
    await gateway?.stop("SIGTERM");
    await reports?.stop();
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await bus.ensureTopics(topicSpecs(topics, PARTITIONS));
    reports = await bus.subscribe({
      groupId: `${prefix}-reports`,
      topics: [topics.verifications],
      accepts: eventTypes("deliveryReported"),
      partitionConcurrency: PARTITIONS,
      handler: async ({ envelope: env }) => onReport(env),
      // Runs of a partition at a time: the reader must not be what limits the run.
      batchHandler: async (messages) => messages.forEach(({ envelope: env }) => onReport(env)),
    });
    await reports.ready;
    const smppConfig = file("smpp.json", peerSmppConfig(o, prefix));
    const policy = { default: {}, tenants: { bench: { senders: { sms: { senderId: PEER_BRAND } } } } };
    gateway = startServiceProcess("gateway-smpp", "gateway-smpp/src/main.ts", {
      ...keys,
      ...auth.env,
      KAFKA_BROKERS: o.brokers,
      REDIS_URL: o.redisUrl,
      OTP_TOPIC_PREFIX: `${prefix}.`,
      OTP_STORE_PREFIX: `${prefix}:`,
      OTP_POLICY_FILE: file("policy.json", JSON.stringify(policy)),
      OTP_RETENTION_HOURS: "1",
      // Same verbosity as the Kannel boxes (log-level 2): warnings and errors only.
      LOG_LEVEL: "warn",
      SMPP_CONFIG: smppConfig,
      ...o.extraEnv,
    });
    const started = gateway;
    return {
      pids: [started.pid],
      async send(messages, phoneOf, codeOf) {
        const batch = messages.map((message) => {
          const env = dispatchEnvelope(sealer, phoneOf(message), codeOf(message));
          numberOf.set(env.verificationId, message);
          return { topic: topics.verifications, envelope: env };
        });
        await bus.publishBatch(batch);
      },
      warnings: () => started.warnings().byMessage,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The gateway's SMPP_CONFIG: one bind to the SMSC both gateways are measured against. */
function peerSmppConfig(o: GatewayPeerOptions, prefix: string): string {
  return JSON.stringify({
    accounts: {
      smsc: {
        ...o.smsc,
        bindMode: "transceiver",
        binds: 1,
        window: o.window,
        tps: 10_000,
        responseTimeoutMs: 10_000,
        enquireLinkIntervalMs: 30_000,
      },
    },
    routes: { "sms-default": ["smsc"] },
    defaultRoute: "sms-default",
    messages: { default: { brand: PEER_BRAND } },
    dispatch: { consumerGroup: `${prefix}-gateway` },
  });
}

/** DispatchRequested for SMS attempt 1, as routing writes it. */
function dispatchEnvelope(sealer: Sealer, phone: string, code: string): EventEnvelope {
  const verificationId = newVerificationId();
  return envelope(
    { verificationId, tenant: "bench", at: new Date() },
    {
      $case: "dispatchRequested",
      value: {
        attempt: 1,
        channel: Channel.CHANNEL_SMS,
        route: "sms-default",
        phone: sealer.seal(`+${phone}`, sealedField(verificationId, "phone")),
        code: sealer.seal(code, sealedField(verificationId, "code")),
        locale: "en",
        purpose: "login",
        expiresAt: new Date(Date.now() + 300_000),
        district: "ID-JK",
        operator: "id-telkomsel",
        country: "ID",
        transaction: undefined,
        stepTimeoutSeconds: 300,
        maskedPhone: maskPhone(phone),
        stepIndex: 0,
      },
    },
  );
}

/** Waits until `done()` or the deadline; returns whether it got there. */
export async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}
