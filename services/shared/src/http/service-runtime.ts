/**
 * What a channel connector's main.ts needs besides its own settings: the bus (Kafka, or the
 * in-process bus when KAFKA_BROKERS is empty), the store (Redis, or in-process when REDIS_URL is
 * empty), secrets, tenant policies, a logger and topic names, all from the environment; and a
 * run loop that stops cleanly on SIGINT / SIGTERM.
 *   KAFKA_BROKERS     host:port list; empty = in-process bus (nothing else can reach it)
 *   REDIS_URL         redis://…; empty = in-process store (one replica only)
 *   OTP_STORE_PREFIX  key prefix (default "otp:")
 *   OTP_TOPIC_PREFIX  topic name prefix (default "")
 *   OTP_POLICY_FILE   tenant policies (default: built-in policy for every tenant)
 *   LOG_LEVEL         debug | info | warn | error (default info)
 *   OTP_ENCRYPTION_KEYS, OTP_ACTIVE_KEY_ID, OTP_CODE_HASH_SECRET: see crypto/keys.ts; throwaway
 *                     keys only when both bus and store are in-process.
 */
import { createKafkaBus } from "../bus/kafka";
import { createMemoryBus } from "../bus/memory";
import type { EventBus } from "../bus/port";
import { type Env, oneOf, optionalStr, readConfig, str } from "../config";
import { secretsFromEnv, type SecretMaterial } from "../crypto/keys";
import { topicNames, type TopicNames } from "../events/topics";
import { createLogger, type Logger, type LogLevel } from "../log";
import { createPolicyBook, DEFAULT_POLICY, type PolicyBook } from "../policy";
import { loadPolicies } from "../policy/load";
import { createMemoryStore } from "../store/memory";
import type { Store } from "../store/port";
import { createRedisStore } from "../store/redis";

export interface ServiceRuntime {
  bus: EventBus;
  store: Store;
  secrets: SecretMaterial;
  policies: PolicyBook;
  logger: Logger;
  topics: TopicNames;
  /** True when bus and store are in-process. */
  embedded: boolean;
  /** Closes the bus, then the store. */
  close(): Promise<void>;
}

const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

const RUNTIME_SPEC = {
  KAFKA_BROKERS: optionalStr(),
  REDIS_URL: optionalStr(),
  OTP_STORE_PREFIX: str("otp:"),
  OTP_TOPIC_PREFIX: str(""),
  OTP_POLICY_FILE: optionalStr(),
  LOG_LEVEL: oneOf(LOG_LEVELS, "info"),
};

/** Throws CONFIG_INVALID listing every problem. */
export function openServiceRuntime(service: string, env: Env = process.env): ServiceRuntime {
  const config = readConfig(RUNTIME_SPEC, env);
  const logger = createLogger({ level: config.LOG_LEVEL, base: { service } });
  const embedded = config.KAFKA_BROKERS === undefined && config.REDIS_URL === undefined;
  const secrets = secretsFromEnv(env, { allowEphemeral: embedded });
  const policies = config.OTP_POLICY_FILE
    ? loadPolicies(config.OTP_POLICY_FILE)
    : createPolicyBook(DEFAULT_POLICY, {});
  const busLogger = logger.child({ component: "bus" });
  const bus = config.KAFKA_BROKERS
    ? createKafkaBus({ brokers: config.KAFKA_BROKERS, clientId: service, logger: busLogger })
    : createMemoryBus({ logger: busLogger });
  const storeLogger = logger.child({ component: "store" });
  const store = config.REDIS_URL
    ? createRedisStore({
        url: config.REDIS_URL,
        prefix: config.OTP_STORE_PREFIX,
        connectionName: service,
        onConnectionError: (err) => storeLogger.warn("redis connection error", { err }),
      })
    : createMemoryStore({ prefix: config.OTP_STORE_PREFIX });
  if (config.KAFKA_BROKERS === undefined) logger.warn("KAFKA_BROKERS not set: in-process bus");
  if (config.REDIS_URL === undefined) logger.warn("REDIS_URL not set: in-process store");
  return {
    bus,
    store,
    secrets,
    policies,
    logger,
    topics: topicNames(config.OTP_TOPIC_PREFIX),
    embedded,
    async close() {
      await bus.close();
      await store.close();
    },
  };
}

export interface Runnable {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts `service`; on SIGINT / SIGTERM stops it, then `cleanup` (bus, store), and exits 0.
 * A failed start exits 1; a second signal exits at once.
 */
export async function runUntilSignalled(
  service: Runnable,
  cleanup: () => Promise<void>,
  logger: Logger,
): Promise<void> {
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info("shutting down", { signal });
    service
      .stop()
      .then(cleanup)
      .then(
        () => {
          logger.info("stopped");
          process.exit(0);
        },
        (err: unknown) => {
          logger.error("shutdown failed", { err });
          process.exit(1);
        },
      );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  try {
    await service.start();
  } catch (err) {
    logger.error("start failed", { err });
    await service.stop().catch(() => undefined);
    await cleanup().catch(() => undefined);
    process.exit(1);
  }
}
