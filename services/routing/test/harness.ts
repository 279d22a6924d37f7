/**
 * Integration set-up for routing over a real Kafka broker and a real Redis (KAFKA_BROKERS,
 * REDIS_URL): its own topics, consumer groups and key prefix per harness. The test plays the
 * other services: issuance (VerificationStarted with values sealed by a test key), the channel
 * connectors (DispatchRequested in, DeliveryReported out, as a script says) and verification
 * (CodeChecked).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Kafka, logLevel } from "kafkajs";
import type { EventEnvelope } from "@proto/otp/events/v1/events";
import { CheckOutcome, VerificationStarted } from "@proto/otp/events/v1/events";
import { Channel, DeliveryStatus, FailureClass, RiskTier } from "@proto/otp/v1/common";
import { createKafkaBus, type KafkaBus } from "@platform/bus/kafka";
import type { Subscription } from "@platform/bus/port";
import { createSealer, sealedField, type Sealer } from "@platform/crypto/sealer";
import { type EventBody, envelope, newVerificationId } from "@platform/events/envelope";

export { newVerificationId };
import { type TopicNames, topicNames, topicSpecs } from "@platform/bus/topics";
import { createLogger, type Logger, silentLogger } from "@platform/log";
import { DEFAULT_POLICY } from "@domain/policy/defaults";
import { createPolicyBook, type PolicyBook } from "@domain/policy/policy-book";
import type { TenantPolicy, WorkflowStep } from "@domain/policy/types";
import type { Store } from "@platform/store/port";
import { createRedisStore } from "@platform/store/redis";
import {
  createRoutingService,
  type RoutingService,
  type RoutingServiceOptions,
  type RoutingServiceSettingsInput,
} from "../src/routing-service";
import { testKafkaSecurity } from "@test/support/kafka-security";

export const TENANT = "bank-a";

export function requireEnv(): { brokers: string; redisUrl: string } {
  const brokers = process.env.KAFKA_BROKERS;
  const redisUrl = process.env.REDIS_URL;
  if (!brokers || !redisUrl) {
    throw new Error("KAFKA_BROKERS and REDIS_URL must be set: run through `npm test` or export them");
  }
  return { brokers, redisUrl };
}

const step = (
  channel: WorkflowStep["channel"],
  timeoutSeconds: number,
  advanceWhen: WorkflowStep["advanceWhen"],
): WorkflowStep => ({ channel, timeoutSeconds, advanceWhen });

/**
 * The default policy with short steps (tests must not wait minutes), built without validation,
 * which would refuse steps under 5 s: `login` WhatsApp 2 s → SMS 2 s → voice 2 s; `transaction`
 * WhatsApp 30 s → SMS 30 s (a timer that must not be waited for); `signup` WhatsApp 2 s → SMS
 * 30 s → voice 30 s (a fallback, then a step that outlasts the test).
 */
export function testPolicies(): PolicyBook {
  const policy: TenantPolicy = {
    ...DEFAULT_POLICY,
    workflows: {
      ...DEFAULT_POLICY.workflows,
      fast: [
        step("whatsapp", 2, "not_delivered"),
        step("sms", 2, "not_verified"),
        step("voice", 2, "not_verified"),
      ],
      patient: [step("whatsapp", 30, "not_delivered"), step("sms", 30, "not_verified")],
      quick_then_patient: [
        step("whatsapp", 2, "not_delivered"),
        step("sms", 30, "not_verified"),
        step("voice", 30, "not_verified"),
      ],
    },
    purposes: {
      ...DEFAULT_POLICY.purposes,
      login: { ...DEFAULT_POLICY.purposes.login!, workflow: "fast" },
      transaction: { ...DEFAULT_POLICY.purposes.transaction!, workflow: "patient" },
      signup: { ...DEFAULT_POLICY.purposes.signup!, workflow: "quick_then_patient" },
    },
  };
  return createPolicyBook(policy, {});
}

/** Settings that make a test run in seconds: fast polling, short caches. */
export const FAST_SETTINGS: RoutingServiceSettingsInput = {
  sessionTimeoutMs: 3_000,
  health: { cacheMs: 100 },
  healthEvaluateIntervalMs: 100,
  incidentCacheMs: 100,
  routing: { minRemainingMs: 1_000 },
};

export interface Reply {
  status: DeliveryStatus;
  failureClass?: FailureClass;
  reason?: string;
  afterMs?: number;
  /** After a DELIVERED reply: the user types the code this long after (CodeChecked VERIFIED). */
  verifyAfterMs?: number;
}

export interface Dispatch {
  verificationId: string;
  tenant: string;
  attempt: number;
  channel: Channel;
  route: string;
  district: string;
  eventId: string;
}

export type ConnectorScript = (dispatch: Dispatch) => Reply[];

export interface IssueInput {
  district?: string;
  operator?: string;
  purpose?: string;
  tenant?: string;
  expiresInMs?: number;
  maxSends?: number;
  channelPreference?: Channel;
  numberType?: string;
  verificationId?: string;
  codePerAttempt?: boolean;
}

export interface RoutingHarness {
  prefix: string;
  topics: TopicNames;
  bus: KafkaBus;
  store: Store;
  policies: PolicyBook;
  sealer: Sealer;
  logger: Logger;
  /** Starts a routing replica on this harness' topics, store and group. */
  startService(options?: Partial<RoutingServiceOptions>): Promise<RoutingService>;
  /** Waits for the connector and observer consumers to join. */
  ready(): Promise<void>;
  /** What the fake connectors answer to each dispatch. */
  setScript(script: ConnectorScript): void;
  issue(input?: IssueInput): Promise<string>;
  publish(verificationId: string, body: EventBody, tenant?: string): Promise<void>;
  /** Every envelope seen on the verifications topic for a verification, in order. */
  eventsOf(verificationId: string): EventEnvelope[];
  dispatchesOf(verificationId: string): Dispatch[];
  /** Every envelope seen on the routing topic. */
  routingEvents(): EventEnvelope[];
  /** When the fake connectors received an event (ms, this process' clock). */
  receivedAt(eventId: string): number | undefined;
  /** When a timer (`<id>|f|<attempt>`, `<id>|x`) is due on the replica that owns it, or null. */
  timerScore(timerId: string): Promise<number | null>;
  close(): Promise<void>;
}

/** Partitions of the harness's verifications topic. */
export const PARTITIONS = 8;

export async function startRoutingHarness(name: string): Promise<RoutingHarness> {
  const { brokers, redisUrl } = requireEnv();
  const prefix = `rt-${name}-${randomBytes(3).toString("hex")}-`;
  const topics = topicNames(prefix);
  const logger = process.env.ROUTING_TEST_LOGS ? createLogger({ level: "debug" }) : silentLogger();
  const bus = createKafkaBus({
    brokers,
    clientId: prefix,
    maxWaitTimeMs: 200,
    kafkaConfig: testKafkaSecurity(),
  });
  // Two commit groups of four partitions (commit-groups.ts): two replicas can split them.
  await bus.ensureTopics(topicSpecs(topics, PARTITIONS));
  const store = createRedisStore({ url: redisUrl, prefix: `otp-test:${prefix}` });
  const policies = testPolicies();
  const sealer = createSealer({ activeKeyId: "test", keys: new Map([["test", randomBytes(32)]]) });
  const services: RoutingService[] = [];
  const subscriptions: Subscription[] = [];
  const pending = new Set<Promise<void>>();
  const byVerification = new Map<string, EventEnvelope[]>();
  const routing: EventEnvelope[] = [];
  const received = new Map<string, number>();
  let script: ConnectorScript = () => [];

  const publish = async (verificationId: string, body: EventBody, tenant = TENANT): Promise<void> => {
    await bus.publish(topics.verifications, envelope({ verificationId, tenant, at: new Date() }, body));
  };

  const answer = (d: Dispatch): void => {
    for (const reply of script(d)) {
      const task = playReply(publish, d, reply).catch((err: unknown) =>
        logger.error("fake connector failed", { error: err }),
      );
      pending.add(task);
      void task.finally(() => pending.delete(task));
    }
  };

  subscriptions.push(
    ...(await watchTopics(bus, prefix, topics, { byVerification, routing, received }, answer)),
  );

  return {
    prefix,
    topics,
    bus,
    store,
    policies,
    sealer,
    logger,
    async startService(options = {}) {
      const service = createRoutingService({
        bus,
        store,
        policies,
        logger,
        topics,
        groupId: `${prefix}routing`,
        ...options,
        settings: { ...FAST_SETTINGS, ...options.settings },
      });
      services.push(service);
      await service.start();
      return service;
    },
    async ready() {
      await Promise.all(subscriptions.map((s) => s.ready));
    },
    setScript(next) {
      script = next;
    },
    async issue(input = {}) {
      const verificationId = input.verificationId ?? newVerificationId();
      await publish(
        verificationId,
        verificationStarted(sealer, verificationId, input),
        input.tenant ?? TENANT,
      );
      return verificationId;
    },
    publish,
    eventsOf: (id) => [...(byVerification.get(id) ?? [])],
    dispatchesOf: (id) => (byVerification.get(id) ?? []).flatMap((env) => dispatchIn(env) ?? []),
    routingEvents: () => [...routing],
    receivedAt: (eventId) => received.get(eventId),
    timerScore: async (timerId) => timerAt(services, timerId),
    async close() {
      await Promise.allSettled(services.map((s) => s.stop()));
      await Promise.allSettled(subscriptions.map((s) => s.stop()));
      await Promise.allSettled([...pending]);
      await bus.close();
      await store.clear();
      await store.close();
      await deleteKafkaByPrefix(brokers, prefix);
    },
  };
}

/** Everything seen on the topics, by the fake connectors and the routing topic's observer. */
interface Seen {
  byVerification: Map<string, EventEnvelope[]>;
  routing: EventEnvelope[];
  /** When an event reached the fake connectors (ms, this process' clock). */
  received: Map<string, number>;
}

/** The fake connectors (they answer dispatches) and the routing topic's observer. */
async function watchTopics(
  bus: KafkaBus,
  prefix: string,
  topics: TopicNames,
  seen: Seen,
  answer: (d: Dispatch) => void,
): Promise<Subscription[]> {
  return [
    await bus.subscribe({
      groupId: `${prefix}connectors`,
      topics: [topics.verifications],
      partitionConcurrency: 3,
      handler: async ({ envelope: env }) => {
        seen.received.set(env.eventId, Date.now());
        const list = seen.byVerification.get(env.verificationId) ?? [];
        list.push(env);
        seen.byVerification.set(env.verificationId, list);
        const dispatch = dispatchIn(env);
        if (dispatch) answer(dispatch);
      },
    }),
    await bus.subscribe({
      groupId: `${prefix}observer`,
      topics: [topics.routing],
      handler: async ({ envelope: env }) => void seen.routing.push(env),
    }),
  ];
}

/** When a timer (`<id>|f|<attempt>`, `<id>|x`) is due on the replica that owns it, or null. */
function timerAt(services: RoutingService[], timerId: string): number | null {
  const [verificationId = "", kind, attempt] = timerId.split("|");
  const timer = services
    .flatMap((service) => service.states.timers(verificationId))
    .find((t) =>
      kind === "x" ? t.kind === "expiry" : t.kind === "fallback" && t.attempt === Number(attempt),
    );
  return timer?.at ?? null;
}

/** What a fake connector answers to a dispatch: its delivery report, then maybe the check. */
async function playReply(
  publish: (verificationId: string, body: EventBody, tenant?: string) => Promise<void>,
  d: Dispatch,
  reply: Reply,
): Promise<void> {
  await sleep(reply.afterMs ?? 0);
  await publish(
    d.verificationId,
    {
      $case: "deliveryReported",
      value: {
        attempt: d.attempt,
        channel: d.channel,
        route: d.route,
        status: reply.status,
        failureClass: reply.failureClass ?? FailureClass.FAILURE_CLASS_UNSPECIFIED,
        reason: reply.reason ?? "",
        providerMessageId: `pm-${d.verificationId}-${d.attempt}`,
        district: d.district,
        operator: "",
        providerTime: new Date(),
        providerSubmitDate: "",
        providerDoneDate: "",
      },
    },
    d.tenant,
  );
  if (reply.status === DeliveryStatus.DELIVERY_STATUS_DELIVERED && reply.verifyAfterMs !== undefined) {
    await sleep(reply.verifyAfterMs);
    await publish(
      d.verificationId,
      {
        $case: "codeChecked",
        value: {
          outcome: CheckOutcome.CHECK_OUTCOME_VERIFIED,
          checksUsed: 1,
          matchedAttempt: d.attempt,
        },
      },
      d.tenant,
    );
  }
}

function verificationStarted(sealer: Sealer, verificationId: string, input: IssueInput): EventBody {
  const purpose = input.purpose ?? "login";
  return {
    $case: "verificationStarted",
    value: VerificationStarted.fromPartial({
      phone: sealer.seal("+6281234567890", sealedField(verificationId, "phone")),
      maskedPhone: "+62812****7890",
      country: "ID",
      operator: input.operator ?? "id-telkomsel",
      district: input.district ?? "ID-JK-JS",
      purpose,
      riskTier: purpose === "transaction" ? RiskTier.RISK_TIER_HIGH : RiskTier.RISK_TIER_MEDIUM,
      locale: "id",
      channelPreference: input.channelPreference ?? Channel.CHANNEL_UNSPECIFIED,
      code: sealer.seal("123456", sealedField(verificationId, "code")),
      codeLength: 6,
      expiresAt: new Date(Date.now() + (input.expiresInMs ?? 120_000)),
      maxChecks: 5,
      maxSends: input.maxSends ?? 5,
      codePerAttempt: input.codePerAttempt ?? false,
      transaction: undefined,
      hasTransactionBinding: false,
      idempotencyKeyHash: randomUUID(),
      resendCooldownSeconds: 30,
      numberType: input.numberType ?? "mobile",
    }),
  };
}

function dispatchIn(env: EventEnvelope): Dispatch | undefined {
  if (env.event?.$case !== "dispatchRequested") return undefined;
  const d = env.event.value;
  return {
    verificationId: env.verificationId,
    tenant: env.tenant,
    attempt: d.attempt,
    channel: d.channel,
    route: d.route,
    district: d.district,
    eventId: env.eventId,
  };
}

async function deleteKafkaByPrefix(brokers: string, prefix: string): Promise<void> {
  const kafka = new Kafka({
    clientId: `${prefix}cleanup`,
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
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

/** Polls until `check` holds; fails after `timeoutMs` (generous: brokers rebalance, machines are busy). */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(25);
  }
}

export const delivered = (afterMs = 50, verifyAfterMs?: number): Reply => ({
  status: DeliveryStatus.DELIVERY_STATUS_DELIVERED,
  afterMs,
  ...(verifyAfterMs === undefined ? {} : { verifyAfterMs }),
});

export const hardFailure = (reason: string, afterMs = 50): Reply => ({
  status: DeliveryStatus.DELIVERY_STATUS_FAILED,
  failureClass: FailureClass.FAILURE_CLASS_PERMANENT,
  reason,
  afterMs,
});

export const eventCase = (env: EventEnvelope): string => env.event?.$case ?? "none";
