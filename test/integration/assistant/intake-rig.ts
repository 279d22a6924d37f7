/**
 * Assistant replicas on their own, for the intake tests: each on its own Kafka client and
 * Redis connection (same topics, key prefix, keys and consumer group, as pods would be), with
 * its own webhook listener, replying through one WhatsApp simulator that plays the users. The
 * issuance and routing ports answer "nothing pending, nothing known", issuance slowly (so a
 * sender's later messages queue up behind a look-up, where handling them out of order would
 * show). A replica's bus can hold or fail its writes to the inbound topic, as a slow or
 * unreachable Kafka would.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { Partitioners } from "kafkajs";
import type { EventBus, OutgoingMessage } from "@platform/bus/port";
import { OtpError } from "@domain/errors";
import { platformFromEnv, type Platform } from "@platform/runtime/platform";
import { requireEnv } from "../../support/env";
import {
  startCloudApiSimulator,
  type CloudApiSimulator,
} from "@services/whatsapp/src/simulator/cloud-api-simulator";
import { INBOUND_PARTITIONS, INBOUND_TOPIC } from "@services/assistant/src/adapters/inbound-event";
import { SUPPORT_TOPIC } from "@services/assistant/src/adapters/handoff-publisher";
import type { AssistantConfig } from "@services/assistant/src/config";
import type { ChannelStatusPort, VerificationDesk } from "@services/assistant/src/ports";
import { createAssistantService, type AssistantService } from "@services/assistant/src/service";
import { EVENT_ROLES } from "@domain/events/ownership";
import { freshEventKeysVariable } from "@platform/crypto/event-keys";

export const BUSINESS_NUMBER = "100200300400";
const TENANT = "demo-bank";
const ACCESS_TOKEN = "intake-test-token";
const APP_SECRET = "intake-test-app-secret";
const PATH = "/whatsapp/webhook";

export interface IntakeRig {
  run: string;
  tenant: string;
  appSecret: string;
  inboundTopic: string;
  platform: Platform;
  sealer: Platform["secrets"]["sealer"];
  senderKey(phone: string): string;
  /** The inbound topic's partition a sender's messages go to. */
  partitionOf(phone: string): number;
  simulator: CloudApiSimulator;
  env: Record<string, string>;
  /** The user writes to the business number (the simulator posts the signed webhook). */
  write(phone: string, text: string): Promise<{ posted: boolean; messageId: string }>;
  /** The text replies the simulator received for a phone, oldest first. */
  repliesTo(phone: string): Promise<string[]>;
  close(): Promise<void>;
}

export interface ControlledBus extends EventBus {
  /** Holds writes to the inbound topic until released. */
  hold(): { release(): void };
  /** Writes to the inbound topic waiting on a hold. */
  held(): number;
  failWrites(on: boolean): void;
}

export interface Replica {
  service: AssistantService;
  bus: ControlledBus;
  webhookUrl: string;
  /** Turns this replica handled. */
  handledCount(): number;
  stop(): Promise<void>;
  close(): Promise<void>;
}

export async function startIntakeRig(): Promise<IntakeRig> {
  const run = `ai-${randomUUID().slice(0, 8)}`;
  const env = {
    KAFKA_BROKERS: requireEnv("KAFKA_BROKERS"),
    REDIS_URL: requireEnv("REDIS_URL"),
    OTP_TOPIC_PREFIX: `${run}.`,
    OTP_STORE_PREFIX: `${run}:`,
    OTP_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
    OTP_EVENT_KEYS: freshEventKeysVariable(),
    OTP_CODE_HASH_SECRET: randomBytes(32).toString("base64"),
    LOG_LEVEL: "warn",
  };
  const platform = await platformFromEnv({
    events: EVENT_ROLES["all-in-one"],
    service: "intake-rig",
    env,
    logWrite: () => undefined,
  });
  const simulator = await startCloudApiSimulator({ accessTokens: [ACCESS_TOKEN], appSecret: APP_SECRET });
  const inboundTopic = `${run}.${INBOUND_TOPIC}`;
  const senderKey = (phone: string) => platform.secrets.hasher.lookup("phone", phone);
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: INBOUND_PARTITIONS }, (_, partitionId) => ({
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
    partitionErrorCode: 0,
    offlineReplicas: [],
  }));
  return {
    run,
    tenant: TENANT,
    appSecret: APP_SECRET,
    inboundTopic,
    platform,
    sealer: platform.secrets.sealer,
    senderKey,
    partitionOf: (phone) =>
      partitioner({
        topic: inboundTopic,
        partitionMetadata,
        message: { key: senderKey(phone), value: null },
      }),
    simulator,
    env,
    async write(phone, text) {
      const response = await fetch(`${simulator.url}/inbound`, {
        method: "POST",
        body: JSON.stringify({ from: phone, text, phoneNumberId: BUSINESS_NUMBER }),
      });
      return (await response.json()) as { posted: boolean; messageId: string };
    },
    async repliesTo(phone) {
      return simulator.received(BUSINESS_NUMBER).flatMap((r) => {
        const body = r.body as { to?: string; type?: string; text?: { body?: string } };
        return body.to === phone.slice(1) && body.type === "text" ? [body.text?.body ?? ""] : [];
      });
    },
    async close() {
      await simulator.close();
      await platform.store.clear();
      await platform.close();
    },
  };
}

export async function startReplica(rig: IntakeRig, name: string): Promise<Replica> {
  let handled = 0;
  const platform = await platformFromEnv({
    events: EVENT_ROLES["all-in-one"],
    service: `assistant-${name}`,
    env: { ...rig.env, LOG_LEVEL: "info" },
    logWrite: (line) => {
      if (line.includes('"assistant turn"')) handled += 1;
    },
  });
  const bus = controlled(platform.bus, rig.inboundTopic);
  const config: AssistantConfig = {
    tenants: { [BUSINESS_NUMBER]: TENANT },
    messagesPerMinute: 600,
    resendOffersPerHour: 3,
    handoffTopic: `${rig.run}.${SUPPORT_TOPIC}`,
    inboundTopic: rig.inboundTopic,
    groupId: `${rig.run}-assistant`,
    whatsapp: {
      baseUrl: rig.simulator.url,
      apiVersion: "v21.0",
      accessToken: ACCESS_TOKEN,
      appSecret: APP_SECRET,
      verifyToken: "intake-test-verify",
    },
    webhookPath: PATH,
    webhookListen: "127.0.0.1:0",
  };
  const service = createAssistantService({
    ...platform,
    bus,
    desk: NOTHING_PENDING,
    status: NOTHING_KNOWN,
    config,
  });
  await service.start();
  return {
    service,
    bus,
    webhookUrl: `${service.listenUrl ?? ""}${PATH}`,
    handledCount: () => handled,
    stop: () => service.stop(),
    async close() {
      await service.stop();
      await platform.close();
    },
  };
}

const NOTHING_PENDING: VerificationDesk = {
  findActive: async () => {
    await new Promise((resolve) => setTimeout(resolve, 200));
    return undefined;
  },
  resend: async () => ({ kind: "closed" }),
};

const NOTHING_KNOWN: ChannelStatusPort = {
  district: async () => ({ channels: [], incidents: [] }),
  incidents: async () => [],
};

function controlled(bus: EventBus, topic: string): ControlledBus {
  let gate: Promise<void> | undefined;
  let waiting = 0;
  let failing = false;
  const guard = async (messages: OutgoingMessage[]): Promise<void> => {
    if (!messages.some((m) => m.topic === topic)) return;
    if (failing) throw new OtpError("OTP_DEPENDENCY_UNAVAILABLE", "event bus write failed (injected)");
    waiting += 1;
    await gate;
    waiting -= 1;
  };
  return {
    async publish(t, envelope, options) {
      await guard([{ topic: t, envelope }]);
      return bus.publish(t, envelope, options);
    },
    async publishBatch(messages) {
      await guard(messages);
      return bus.publishBatch(messages);
    },
    subscribe: (options) => bus.subscribe(options),
    process: (options) => bus.process(options),
    ensureTopics: (topics) => bus.ensureTopics(topics),
    close: () => bus.close(),
    hold() {
      let release = (): void => undefined;
      gate = new Promise((resolve) => (release = resolve));
      return {
        release() {
          gate = undefined;
          release();
        },
      };
    },
    held: () => waiting,
    failWrites(on) {
      failing = on;
    },
  };
}
