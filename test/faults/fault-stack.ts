/**
 * The whole platform for one fault test: its OWN Kafka broker and redis-server (so killing them
 * hurts no other test file), every service in this process through the all-in-one factory on
 * explicit KAFKA_BROKERS / REDIS_URL, the simulators as the outside world, and every envelope of
 * the lifecycle topic captured for the invariants in invariants.ts. `startPlatformStack` wires
 * the same platform on backends the caller started (cluster-stack.ts: Kafka and Redis clusters).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type * as grpc from "@grpc/grpc-js";
import type { EventEnvelope } from "@proto/otp/events/v1/events";
import { IssuanceServiceClient } from "@proto/otp/v1/issuance";
import { VerificationServiceClient } from "@proto/otp/v1/verification";
import { createAllInOne, type AllInOne } from "@services/all-in-one/src/all-in-one";
import type { RoutingServiceSettingsInput } from "@services/routing/src/routing-service";
import type { AccountConfig } from "@gateway-smpp/src/config/gateway-config";
import type { Subscription } from "@platform/bus/port";
import { createClient } from "@platform/grpc/client";
import type { TokenGrant } from "@platform/grpc/identity";
import { createGrpcServer, type GrpcServer } from "@platform/grpc/server";
import { createLogger } from "@platform/log";
import { platformFromEnv, type Platform } from "@platform/runtime/platform";
import { startKafka, type KafkaBroker } from "../harness/kafka";
import { startRedis } from "../harness/redis";
import { testPorts } from "../support/all-in-one-ports";
import { EVENT_ROLES } from "@domain/events/ownership";
import { freshEventKeysVariable } from "@platform/crypto/event-keys";

export const FAULT_TOKEN = "tok-fault-0123456789abcdef";
export const FAULT_TENANT = "fault";
const GRANTS: TokenGrant[] = [
  { token: FAULT_TOKEN, principal: `tenant:${FAULT_TENANT}`, tenant: FAULT_TENANT, roles: ["tenant"] },
];

/**
 * Generous limits (the load comes from one tenant and a handful of prefixes) and short steps, so
 * a lost receipt or a dead channel moves on within seconds instead of the default 20–30 s.
 */
export const POLICY = {
  default: {
    limits: {
      perTenant: { requestsPerSecond: 5000, burst: 5000 },
      perPhone: { sendsPerHour: 50, startsPer10Minutes: 50 },
      perDestinationPrefix: { prefixDigits: 7, sendsPerMinute: 100000 },
      perCountry: { sendsPerMinute: 100000 },
    },
    workflows: {
      default: [
        { channel: "whatsapp", timeoutSeconds: 5, advanceWhen: "not_delivered" },
        { channel: "sms", timeoutSeconds: 8, advanceWhen: "not_delivered" },
        { channel: "voice", timeoutSeconds: 30, advanceWhen: "not_verified" },
      ],
    },
  },
  tenants: { [FAULT_TENANT]: {} },
};

export interface RedisHandle {
  url: string;
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** The platform and its observers, whatever Kafka and Redis it runs on. */
export interface PlatformStack {
  /** The configuration the in-process services run on: replicas in child processes get it too. */
  env: Record<string, string>;
  platform: Platform;
  app: AllInOne;
  address: string;
  /** Where the WhatsApp and voice connectors take their webhooks. */
  webhookPorts: { whatsapp: number; voice: number };
  logs: string[];
  envelopes: EventEnvelope[];
  /** Where on the verifications topic each captured event stands (`partition@offset`), by event id. */
  placeOf: Map<string, string>;
  /** Where one captured copy of an event stands (a write retried may leave two copies). */
  placeOfCopy(envelope: EventEnvelope): string | undefined;
  issuance: IssuanceServiceClient;
  verification: VerificationServiceClient;
  eventsOf(verificationId: string): EventEnvelope[];
  close(): Promise<void>;
}

export interface FaultStack extends PlatformStack {
  kafka: KafkaBroker;
  redis: RedisHandle;
}

/** Kafka and Redis started for a stack; stopped when the stack closes. */
export interface Backends {
  brokers: string;
  redisUrl: string;
  /** More settings for the services (e.g. REDIS_REPLICA_ACKS on a store with replicas). */
  env?: Record<string, string>;
  stop(): Promise<void>;
}

export interface FaultStackOptions {
  /** The policy file's content (default POLICY). */
  policy?: unknown;
  /** Routing settings: health windows and dwell scaled down like the steps' timeouts. */
  routing?: RoutingServiceSettingsInput;
  /**
   * Over the SMPP account the all-in-one binds to the SMSC simulator (its 10 s response timeout
   * and 30 s enquire_link suit a demo): timeouts scaled down like the steps' timeouts.
   */
  smscAccount?: Partial<AccountConfig>;
}

/** With FAULT_TEST_LOGS=<dir>, every stack's log lines are kept there (CI artefacts). */
function keepLogs(run: string, logs: readonly string[]): void {
  const dir = process.env.FAULT_TEST_LOGS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${run}.log`), `${logs.join("\n")}\n`);
}

export async function startFaultStack(label: string, options: FaultStackOptions = {}): Promise<FaultStack> {
  const [kafka, redis] = await Promise.all([startKafka(), startRedis()]);
  const backends: Backends = {
    brokers: kafka.brokers,
    redisUrl: redis.url,
    stop: async () => {
      await Promise.allSettled([kafka.stop(), redis.stop()]);
    },
  };
  return { ...(await startPlatformStack(label, backends, options)), kafka, redis };
}

export async function startPlatformStack(
  label: string,
  backends: Backends,
  options: FaultStackOptions = {},
): Promise<PlatformStack> {
  const run = `${label}-${randomUUID().slice(0, 8)}`;
  const policyFile = path.join(tmpdir(), `otp-fault-policy-${run}.json`);
  writeFileSync(policyFile, JSON.stringify(options.policy ?? POLICY));
  const env = {
    ...backends.env,
    KAFKA_BROKERS: backends.brokers,
    REDIS_URL: backends.redisUrl,
    OTP_TOPIC_PREFIX: `fault-${run}.`,
    OTP_STORE_PREFIX: `fault-${run}:`,
    OTP_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
    OTP_EVENT_KEYS: freshEventKeysVariable(),
    OTP_CODE_HASH_SECRET: randomBytes(32).toString("base64"),
    OTP_POLICY_FILE: policyFile,
    LOG_LEVEL: "info",
  };
  const logs: string[] = [];
  const teardown: Array<() => Promise<unknown>> = [
    async () => keepLogs(run, logs),
    () => backends.stop(),
    async () => rmSync(policyFile, { force: true }),
  ];
  const closeAll = async (): Promise<void> => {
    for (const step of teardown.splice(0).reverse()) await step().catch(() => undefined);
  };
  try {
    const platform = await platformFromEnv({
      events: EVENT_ROLES["all-in-one"],
      service: `fault-${label}`,
      env,
      logWrite: (l) => logs.push(l),
    });
    teardown.push(() => platform.close());
    const server: GrpcServer = createGrpcServer({
      address: "127.0.0.1:0",
      insecure: true,
      tokens: GRANTS,
      logger: createLogger({ level: "info", write: (l) => logs.push(l) }),
    });
    const ports = await testPorts();
    const app = await createAllInOne(platform, server, {
      host: "127.0.0.1",
      ports,
      retentionMs: 3_600_000,
      routing: options.routing,
      smscAccount: options.smscAccount,
    });
    teardown.push(() => app.stop());
    const envelopes: EventEnvelope[] = [];
    const placeOf = new Map<string, string>();
    const copies = new WeakMap<EventEnvelope, string>();
    const capture: Subscription = await platform.bus.subscribe({
      groupId: `fault-capture-${run}`,
      topics: [platform.topics.verifications],
      fromBeginning: true,
      handler: async (m) => {
        envelopes.push(m.envelope);
        placeOf.set(m.envelope.eventId, `${m.partition}@${m.offset}`);
        copies.set(m.envelope, `${m.partition}@${m.offset}`);
      },
    });
    teardown.push(() => capture.stop());
    await Promise.all([app.start(), capture.ready]);
    const address = `127.0.0.1:${(await server.start()).port}`;
    teardown.push(() => server.shutdown(1_000));
    const client = { address, insecure: true as const, token: FAULT_TOKEN, defaultDeadlineMs: 5_000 };
    const issuance = createClient(IssuanceServiceClient, client);
    const verification = createClient(VerificationServiceClient, client);
    const clients: grpc.Client[] = [issuance, verification];
    teardown.push(async () => clients.forEach((c) => c.close()));
    return {
      env,
      platform,
      app,
      address,
      webhookPorts: { whatsapp: ports.whatsappWebhook, voice: ports.voiceWebhook },
      logs,
      envelopes,
      placeOf,
      placeOfCopy: (envelope) => copies.get(envelope),
      issuance,
      verification,
      eventsOf: (id) => envelopes.filter((e) => e.verificationId === id),
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
