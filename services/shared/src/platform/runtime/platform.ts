/**
 * The adapters a service runs on, chosen from configuration: Kafka and Redis when
 * KAFKA_BROKERS / REDIS_URL are set, the in-process bus and store otherwise (all-in-one on
 * embedded defaults). Each service's main builds one Platform and owns its shutdown.
 */
import type { EventBus } from "../bus/port";
import { OtpError } from "@domain/errors";
import { createKafkaBus } from "../bus/kafka";
import { createKafkaRequestTally, type KafkaRequestCounts } from "../bus/kafka-request-count";
import { describeKafkaSecurity, kafkaSecurityFromEnv } from "../bus/kafka-security";
import { createMemoryBus } from "../bus/memory";
import {
  checkTogether,
  int,
  list,
  listMatching,
  oneOf,
  optionalStr,
  readConfig,
  str,
  type Env,
} from "../config";
import { createDistrictSet, DEFAULT_DISTRICTS, MAX_DISTRICTS, type DistrictSet } from "@domain/districts";
import { secretsFromEnv, type SecretMaterial } from "../crypto/keys";
import { eventKeysFromEnv } from "../crypto/event-keys";
import { createEventAuthenticator, type EventRejection } from "../bus/event-mac";
import type { EventRole } from "@domain/events/ownership";
import { topicNames, topicSpecs, type TopicNames } from "../bus/topics";
import { createLogger, type Logger } from "../log";
import { createPolicyBook, DEFAULT_POLICY, type PolicyBook } from "@domain/policy";
import { loadPolicies } from "../files/load-policy";
import { createMemoryStore } from "../store/memory";
import { createRedisStore } from "../store/redis";
import type { Store } from "../store/port";

export interface Platform {
  bus: EventBus;
  store: Store;
  secrets: SecretMaterial;
  policies: PolicyBook;
  topics: TopicNames;
  /** The districts a hint may name (OTP_DISTRICTS); anything else is `other`. */
  districts: DistrictSet;
  logger: Logger;
  now: () => number;
  /** True on the in-process bus and store. */
  embedded: boolean;
  /** Requests the bus has sent to Kafka so far, per API (empty on the in-process bus). */
  kafkaRequests: () => KafkaRequestCounts;
  /** Events the bus refused so far for their MAC or producer (ADR 0010). */
  eventRejections: () => EventRejection[];
  close(): Promise<void>;
}

const PLATFORM_SPEC = {
  KAFKA_BROKERS: list([]),
  REDIS_URL: optionalStr(),
  OTP_TOPIC_PREFIX: str(""),
  OTP_STORE_PREFIX: str("otp:"),
  OTP_POLICY_FILE: optionalStr(),
  OTP_DISTRICTS: listMatching(
    /^[A-Za-z0-9._-]{1,64}$/,
    "district names (1-64 letters, digits, '.', '_', '-')",
    {
      fallback: DEFAULT_DISTRICTS,
      max: MAX_DISTRICTS,
    },
  ),
  /** After a fetch that brought a small batch, how long a consumer waits before the next (fetch-linger.ts); 0 = never. */
  KAFKA_FETCH_LINGER_MS: int(5, { min: 0, max: 100 }),
  /** How long Kafka keeps lifecycle events (applies to topics it creates); 0 = the broker's default. */
  OTP_EVENT_RETENTION_HOURS: int(0, { min: 0, max: 24 * 365 }),
  LOG_LEVEL: oneOf(["debug", "info", "warn", "error"] as const, "info"),
  /** Replicas that must have a check's writes before it is answered (WAIT); 0 = none asked. */
  REDIS_REPLICA_ACKS: int(0, { min: 0, max: 5 }),
  /** How long a check waits for them before failing closed; below the 1 s command timeout. */
  REDIS_REPLICA_ACK_TIMEOUT_MS: int(500, { min: 10, max: 900 }),
};

export interface PlatformOptions {
  service: string;
  /** What the process signs as and whose events it reads (EVENT_ROLES): the keys it needs. */
  events: EventRole;
  env?: Env;
  /** Where log lines go (default stdout; tests capture them). */
  logWrite?: (line: string) => void;
  /**
   * The service's own configuration checks (its settings, its gRPC server...): run with the
   * platform's before anything connects, so one start reports every problem together.
   */
  alsoCheck?: ReadonlyArray<() => unknown>;
}

/** The policy file's problems, named by the variable that points at it. */
function policyFileCheck(file: string): void {
  try {
    loadPolicies(file);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new OtpError("CONFIG_INVALID", `OTP_POLICY_FILE=${file}: ${reason.replace(`${file}: `, "")}`);
  }
}

/** Every check the platform makes of its configuration, reported together. */
export function checkPlatformConfig(
  env: Env,
  events: EventRole,
  alsoCheck: ReadonlyArray<() => unknown> = [],
): void {
  const embeddedBus = !env.KAFKA_BROKERS;
  const embeddedStore = !env.REDIS_URL;
  checkTogether([
    () => readConfig(PLATFORM_SPEC, env),
    () => (embeddedBus ? {} : kafkaSecurityFromEnv(env)),
    () => secretsFromEnv(env, { allowEphemeral: embeddedBus && embeddedStore }),
    () => eventKeysFromEnv(env, events, { allowEphemeral: embeddedBus }),
    () => (env.OTP_POLICY_FILE ? policyFileCheck(env.OTP_POLICY_FILE) : undefined),
    ...alsoCheck,
  ]);
}

export async function platformFromEnv({
  service,
  events,
  env = process.env,
  logWrite,
  alsoCheck = [],
}: PlatformOptions): Promise<Platform> {
  checkPlatformConfig(env, events, alsoCheck);
  const cfg = readConfig(PLATFORM_SPEC, env);
  const logger = createLogger({ level: cfg.LOG_LEVEL, base: { service }, write: logWrite });
  const embeddedBus = cfg.KAFKA_BROKERS.length === 0;
  const embeddedStore = cfg.REDIS_URL === undefined;
  const kafkaSecurity = embeddedBus ? {} : kafkaSecurityFromEnv(env);
  const secrets = secretsFromEnv(env, { allowEphemeral: embeddedBus && embeddedStore });
  if (secrets.ephemeral)
    logger.warn("using throwaway encryption keys: set OTP_ENCRYPTION_KEYS and OTP_CODE_HASH_KEYS");
  // Only on the in-process bus are every producer and reader this one process.
  const eventKeys = eventKeysFromEnv(env, events, { allowEphemeral: embeddedBus });
  const authenticator = createEventAuthenticator(eventKeys);
  const policies = cfg.OTP_POLICY_FILE
    ? loadPolicies(cfg.OTP_POLICY_FILE)
    : createPolicyBook(DEFAULT_POLICY, {});
  const topics = topicNames(cfg.OTP_TOPIC_PREFIX);

  const kafkaRequests = createKafkaRequestTally();
  const bus = embeddedBus
    ? createMemoryBus({ logger: logger.child({ component: "bus" }), authenticator })
    : createKafkaBus({
        brokers: cfg.KAFKA_BROKERS,
        clientId: service,
        logger: logger.child({ component: "kafka" }),
        onRequest: kafkaRequests.record,
        fetchLingerMs: cfg.KAFKA_FETCH_LINGER_MS,
        kafkaConfig: kafkaSecurity,
        authenticator,
      });
  const store = embeddedStore
    ? createMemoryStore({ prefix: cfg.OTP_STORE_PREFIX })
    : createRedisStore({
        url: cfg.REDIS_URL ?? "",
        prefix: cfg.OTP_STORE_PREFIX,
        connectionName: service,
        replicaAcks: { replicas: cfg.REDIS_REPLICA_ACKS, timeoutMs: cfg.REDIS_REPLICA_ACK_TIMEOUT_MS },
        onConnectionError: (err) => logger.warn("redis connection error", { err }),
      });
  if (embeddedBus) logger.info("KAFKA_BROKERS not set: in-process event bus");
  else logger.info("Kafka connection", { security: describeKafkaSecurity(kafkaSecurity) });
  if (embeddedStore) logger.info("REDIS_URL not set: in-process store");
  const retentionMs =
    cfg.OTP_EVENT_RETENTION_HOURS > 0 ? cfg.OTP_EVENT_RETENTION_HOURS * 3_600_000 : undefined;
  await bus.ensureTopics(topicSpecs(topics, 12, retentionMs));

  return {
    bus,
    store,
    secrets,
    policies,
    topics,
    districts: createDistrictSet(cfg.OTP_DISTRICTS),
    logger,
    now: Date.now,
    embedded: embeddedBus && embeddedStore,
    kafkaRequests: kafkaRequests.counts,
    eventRejections: () => authenticator.rejections(),
    async close() {
      await Promise.allSettled([bus.close(), store.close()]);
    },
  };
}
