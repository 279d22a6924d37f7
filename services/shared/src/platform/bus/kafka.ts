/**
 * The event bus on Apache Kafka (kafkajs). Writes are durable and ordered per key: idempotent
 * producer, one request in flight, acks from all in-sync replicas; writes made while a request
 * is in flight share the next one (group commit); a failed write retires its producer (see
 * producer-slot.ts). Connections open lazily on first use; close() stops every subscription and
 * disconnects.
 */
import type { Tracer } from "@opentelemetry/api";
import { Kafka, type KafkaConfig, logLevel, Partitioners } from "kafkajs";
import { OtpError } from "@domain/errors";
import { CURRENT_SCHEMA_VERSION, encodeEnvelope, type RawMessage, type RawPublisher } from "./codec";
import { kafkajsLogCreator } from "./kafka-logger";
import { createGroupCommit } from "./group-commit";
import { createProducerSlot } from "./producer-slot";
import { countKafkaRequests } from "./kafka-request-count";
import { ensureKafkaTopics } from "./kafka-topics";
import { startKafkaSubscription } from "./kafka-subscription";
import { startKafkaProcessor } from "./kafka-processor";
import { type BusLogger, silentLogger } from "./logger";
import type { EventBus, OutgoingMessage, Subscription, TopicSpec } from "./port";
import { defaultTracer, withPublishSpan } from "./trace-context";
import type { EventAuthenticator } from "./event-mac";
import { DEFAULT_FETCH_LINGER, type FetchLingerSettings } from "./fetch-linger";

export interface KafkaBusOptions {
  /** Bootstrap servers: "host:port" list or comma-separated string. */
  brokers: string[] | string;
  clientId: string;
  logger?: BusLogger;
  tracer?: Tracer;
  /** Partitions of topics ensureTopics creates without a count. */
  defaultPartitions?: number;
  /** Replication factor of new topics; defaults to min(3, brokers in the cluster). */
  replicationFactor?: number;
  /** Newest envelope schema version consumers accept; newer ones are dead-lettered. */
  maxSchemaVersion?: number;
  /** Consumer fetch long-poll; a stopping consumer may wait this long. */
  maxWaitTimeMs?: number;
  /** Pause after a fetch round that brought little (fetch-linger.ts); default 5 ms, 0 = none. */
  fetchLingerMs?: number;
  /** Called with the API name of every request a producer, consumer or admin of the bus sends. */
  onRequest?: (api: string) => void;
  /**
   * Signs every envelope this bus publishes and checks every one it delivers (ADR 0010); without
   * it events carry no MAC and none is checked (tests of the bus alone).
   */
  authenticator?: EventAuthenticator;
  /** TLS, SASL, timeouts (kafkaSecurityFromEnv): passed to kafkajs as they are. */
  kafkaConfig?: Omit<KafkaConfig, "brokers" | "clientId" | "logCreator">;
}

export interface KafkaBus extends EventBus, RawPublisher {}

const ACKS_ALL = -1;

export function createKafkaBus(options: KafkaBusOptions): KafkaBus {
  const logger = options.logger ?? silentLogger;
  const tracer = options.tracer ?? defaultTracer();
  const client = new Kafka({
    clientId: options.clientId,
    brokers:
      typeof options.brokers === "string" ? options.brokers.split(",").map((b) => b.trim()) : options.brokers,
    logLevel: logLevel.WARN,
    ...options.kafkaConfig,
    logCreator: kafkajsLogCreator(logger),
  });
  const kafka = options.onRequest ? countKafkaRequests(client, options.onRequest) : client;
  const producers = createProducerSlot(
    () =>
      kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      }),
    (err) =>
      logger.warn("event bus write failed: the next write goes through a new producer", {
        error: err instanceof Error ? err.message : String(err),
      }),
  );
  const admin = kafka.admin();
  const connectedAdmin = connectOnce(() => admin.connect().then(() => admin));
  const subscriptions = new Set<Subscription>();
  let closed = false;

  const assertOpen = (): void => {
    if (closed) throw new OtpError("OTP_FAILED_PRECONDITION", "event bus is closed");
  };

  const sendRequest = createGroupCommit<RawMessage>(async (topicMessages) => {
    await producers.write((ready) =>
      ready.sendBatch({
        acks: ACKS_ALL,
        topicMessages: topicMessages.map(({ topic, messages }) => ({
          topic,
          messages: messages.map((m) => ({
            key: m.key,
            value:
              m.value === null ? null : Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength),
            headers: m.headers,
          })),
        })),
      }),
    );
  });

  const send = async (topicMessages: Array<{ topic: string; messages: RawMessage[] }>): Promise<void> => {
    assertOpen();
    try {
      await sendRequest(topicMessages);
    } catch (err) {
      throw toBusError(err, "event bus write failed");
    }
  };

  const authenticator = options.authenticator;
  const fetchLinger: FetchLingerSettings = {
    ...DEFAULT_FETCH_LINGER,
    lingerMs: options.fetchLingerMs ?? DEFAULT_FETCH_LINGER.lingerMs,
  };
  const sign = authenticator?.sign;

  const publishBatch = async (messages: OutgoingMessage[]): Promise<void> => {
    if (messages.length === 0) return;
    const topics = [...new Set(messages.map((m) => m.topic))];
    const spanTopic = topics.length === 1 ? topics[0]! : "multiple";
    await withPublishSpan(tracer, spanTopic, messages.length, (traceHeaders) => {
      const byTopic = new Map<string, RawMessage[]>(topics.map((t) => [t, []]));
      for (const m of messages) {
        byTopic
          .get(m.topic)!
          .push(encodeEnvelope(m.envelope, m.key, { ...m.headers, ...traceHeaders }, sign));
      }
      return send([...byTopic].map(([topic, raw]) => ({ topic, messages: raw })));
    });
  };

  const ensureTopics = async (topics: TopicSpec[]): Promise<void> => {
    assertOpen();
    try {
      await ensureKafkaTopics(await connectedAdmin(), topics, {
        defaultPartitions: options.defaultPartitions ?? 6,
        replicationFactor: options.replicationFactor,
      });
    } catch (err) {
      throw toBusError(err, "event bus topic creation failed");
    }
  };

  return {
    publish: (topic, envelope, publishOptions) =>
      publishBatch([{ topic, envelope, key: publishOptions?.key, headers: publishOptions?.headers }]),
    publishBatch,
    publishRaw: (topic, message) => send([{ topic, messages: [message] }]),
    ensureTopics,

    async subscribe(subscribeOptions) {
      assertOpen();
      const subscription = await startKafkaSubscription(
        {
          kafka,
          admin: connectedAdmin,
          ensureTopics,
          publishRaw: (topic, message) => send([{ topic, messages: [message] }]),
          logger,
          tracer,
          maxSchemaVersion: options.maxSchemaVersion ?? CURRENT_SCHEMA_VERSION,
          maxWaitTimeMs: options.maxWaitTimeMs ?? 1_000,
          fetchLinger,
          authenticator,
        },
        subscribeOptions,
      ).catch((err: unknown) => {
        throw toBusError(err, "event bus subscribe failed");
      });
      const tracked: Subscription = {
        ready: subscription.ready,
        stop: async () => {
          subscriptions.delete(tracked);
          await subscription.stop();
        },
      };
      subscriptions.add(tracked);
      return tracked;
    },

    async process(processOptions) {
      assertOpen();
      const processor = await startKafkaProcessor(
        {
          kafka,
          admin: connectedAdmin,
          ensureTopics,
          logger,
          tracer,
          maxSchemaVersion: options.maxSchemaVersion ?? CURRENT_SCHEMA_VERSION,
          maxWaitTimeMs: options.maxWaitTimeMs ?? 1_000,
          fetchLinger,
          authenticator,
        },
        processOptions,
      ).catch((err: unknown) => {
        throw toBusError(err, "event bus processor failed to start");
      });
      const tracked: Subscription = {
        ready: processor.ready,
        stop: async () => {
          subscriptions.delete(tracked);
          await processor.stop();
        },
      };
      subscriptions.add(tracked);
      return {
        ready: processor.ready,
        owned: () => processor.owned(),
        latest: (key) => processor.latest(key),
        stop: () => tracked.stop(),
      };
    },

    async close() {
      if (closed) return;
      await Promise.allSettled([...subscriptions].map((s) => s.stop()));
      closed = true;
      await Promise.allSettled([producers.close(), admin.disconnect()]);
    },
  };
}

/**
 * Maps kafkajs errors to OtpErrors: a topic nobody created is a programming error, anything
 * else means the brokers are unavailable (retryable).
 */
function toBusError(err: unknown, message: string): OtpError {
  if (err instanceof OtpError) return err;
  for (let cause: unknown = err; cause instanceof Error; cause = cause.cause) {
    if ((cause as { type?: unknown }).type === "UNKNOWN_TOPIC_OR_PARTITION") {
      return new OtpError("OTP_FAILED_PRECONDITION", "unknown topic; call ensureTopics first", {
        cause: err,
      });
    }
  }
  return new OtpError("OTP_DEPENDENCY_UNAVAILABLE", message, { cause: err });
}

/** Memoises a connect; a failed attempt is forgotten so the next call tries again. */
function connectOnce<T>(connect: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= connect().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}
