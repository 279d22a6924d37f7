/**
 * The event bus on Apache Kafka (kafkajs). Writes are durable and ordered per key: idempotent
 * producer, one request in flight, acks from all in-sync replicas; writes made while a request
 * is in flight share the next one (group commit); a failed write retires its producer (see
 * producer-slot.ts). Connections open lazily on first use; close() stops every subscription and
 * disconnects.
 */
import type { Tracer } from "@opentelemetry/api";
import { type Admin, Kafka, type KafkaConfig, logLevel, Partitioners, type Producer } from "kafkajs";
import { OtpError } from "@domain/errors";
import { CURRENT_SCHEMA_VERSION, encodeEnvelope, type RawMessage, type RawPublisher } from "./codec";
import { kafkajsLogCreator } from "./kafka-logger";
import { type BatchSender, createGroupCommit } from "./group-commit";
import { createProducerSlot, type ProducerSlot } from "./producer-slot";
import { countKafkaRequests } from "./kafka-request-count";
import { ensureKafkaTopics } from "./kafka-topics";
import { startKafkaSubscription } from "./kafka-subscription";
import { startKafkaProcessor } from "./kafka-processor";
import { type BusLogger, silentLogger } from "./logger";
import type { EventBus, OutgoingMessage, SubscribeOptions, Subscription, TopicSpec } from "./port";
import type { Processor, ProcessOptions } from "./processor-port";
import { defaultTracer, withPublishSpan } from "./trace-context";
import type { EventAuthenticator } from "./event-mac";
import { DEFAULT_FETCH_LINGER } from "./fetch-linger";
import { requireKafkajsCorrections } from "./kafkajs-corrections";
import { kafkaSocketFactory } from "./kafka-socket";

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

/** The bus's clients and what it has started. */
interface KafkaBusState {
  options: KafkaBusOptions;
  logger: BusLogger;
  tracer: Tracer;
  kafka: Kafka;
  admin: Admin;
  connectedAdmin: () => Promise<Admin>;
  producers: ProducerSlot<Producer>;
  sendRequest: BatchSender<RawMessage>;
  subscriptions: Set<Subscription>;
  closed: boolean;
}

export function createKafkaBus(options: KafkaBusOptions): KafkaBus {
  requireKafkajsCorrections();
  const logger = options.logger ?? silentLogger;
  const client = new Kafka({
    clientId: options.clientId,
    brokers:
      typeof options.brokers === "string" ? options.brokers.split(",").map((b) => b.trim()) : options.brokers,
    logLevel: logLevel.WARN,
    socketFactory: kafkaSocketFactory,
    ...options.kafkaConfig,
    logCreator: kafkajsLogCreator(logger),
  });
  const kafka = options.onRequest ? countKafkaRequests(client, options.onRequest) : client;
  const producers = createProducers(kafka, logger);
  const admin = kafka.admin();
  const bus: KafkaBusState = {
    options,
    logger,
    tracer: options.tracer ?? defaultTracer(),
    kafka,
    admin,
    connectedAdmin: connectOnce(() => admin.connect().then(() => admin)),
    producers,
    sendRequest: createGroupCommit<RawMessage>((topicMessages) => sendBatch(producers, topicMessages)),
    subscriptions: new Set(),
    closed: false,
  };
  const publishBatch = (messages: OutgoingMessage[]) => publishToKafka(bus, messages);
  return {
    publish: (topic, envelope, publishOptions) =>
      publishBatch([{ topic, envelope, key: publishOptions?.key, headers: publishOptions?.headers }]),
    publishBatch,
    publishRaw: (topic, message) => send(bus, [{ topic, messages: [message] }]),
    ensureTopics: (topics) => ensureTopics(bus, topics),
    subscribe: (subscribeOptions) => subscribe(bus, subscribeOptions),
    process: (processOptions) => startProcessor(bus, processOptions),
    async close() {
      if (bus.closed) return;
      await Promise.allSettled([...bus.subscriptions].map((s) => s.stop()));
      bus.closed = true;
      await Promise.allSettled([producers.close(), admin.disconnect()]);
    },
  };
}

function createProducers(kafka: Kafka, logger: BusLogger): ProducerSlot<Producer> {
  return createProducerSlot(
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
}

/** One produce request for what the group commit gathered. */
async function sendBatch(
  producers: ProducerSlot<Producer>,
  topicMessages: Array<{ topic: string; messages: RawMessage[] }>,
): Promise<void> {
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
}

function assertOpen(bus: KafkaBusState): void {
  if (bus.closed) throw new OtpError("OTP_FAILED_PRECONDITION", "event bus is closed");
}

async function send(
  bus: KafkaBusState,
  topicMessages: Array<{ topic: string; messages: RawMessage[] }>,
): Promise<void> {
  assertOpen(bus);
  try {
    await bus.sendRequest(topicMessages);
  } catch (err) {
    throw toBusError(err, "event bus write failed");
  }
}

async function publishToKafka(bus: KafkaBusState, messages: OutgoingMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const sign = bus.options.authenticator?.sign;
  const topics = [...new Set(messages.map((m) => m.topic))];
  const spanTopic = topics.length === 1 ? topics[0]! : "multiple";
  await withPublishSpan(bus.tracer, spanTopic, messages.length, (traceHeaders) => {
    const byTopic = new Map<string, RawMessage[]>(topics.map((t) => [t, []]));
    for (const m of messages) {
      byTopic.get(m.topic)!.push(encodeEnvelope(m.envelope, m.key, { ...m.headers, ...traceHeaders }, sign));
    }
    return send(
      bus,
      [...byTopic].map(([topic, raw]) => ({ topic, messages: raw })),
    );
  });
}

async function ensureTopics(bus: KafkaBusState, topics: TopicSpec[]): Promise<void> {
  assertOpen(bus);
  try {
    await ensureKafkaTopics(await bus.connectedAdmin(), topics, {
      defaultPartitions: bus.options.defaultPartitions ?? 6,
      replicationFactor: bus.options.replicationFactor,
    });
  } catch (err) {
    throw toBusError(err, "event bus topic creation failed");
  }
}

async function subscribe(bus: KafkaBusState, subscribeOptions: SubscribeOptions): Promise<Subscription> {
  assertOpen(bus);
  const subscription = await startKafkaSubscription(
    { ...consumerDeps(bus), publishRaw: (topic, message) => send(bus, [{ topic, messages: [message] }]) },
    subscribeOptions,
  ).catch((err: unknown) => {
    throw toBusError(err, "event bus subscribe failed");
  });
  return track(bus, subscription);
}

async function startProcessor(bus: KafkaBusState, processOptions: ProcessOptions): Promise<Processor> {
  assertOpen(bus);
  const processor = await startKafkaProcessor(consumerDeps(bus), processOptions).catch((err: unknown) => {
    throw toBusError(err, "event bus processor failed to start");
  });
  const tracked = track(bus, processor);
  return {
    ready: processor.ready,
    owned: () => processor.owned(),
    latest: (key) => processor.latest(key),
    stop: () => tracked.stop(),
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

/** What every consumer the bus starts (subscriptions, processors) is given. */
function consumerDeps(bus: KafkaBusState) {
  const { options } = bus;
  return {
    kafka: bus.kafka,
    admin: bus.connectedAdmin,
    ensureTopics: (topics: TopicSpec[]) => ensureTopics(bus, topics),
    logger: bus.logger,
    tracer: bus.tracer,
    maxSchemaVersion: options.maxSchemaVersion ?? CURRENT_SCHEMA_VERSION,
    maxWaitTimeMs: options.maxWaitTimeMs ?? 1_000,
    fetchLinger: {
      ...DEFAULT_FETCH_LINGER,
      lingerMs: options.fetchLingerMs ?? DEFAULT_FETCH_LINGER.lingerMs,
    },
    authenticator: options.authenticator,
  };
}

/** A started consumer the bus stops on close; stopping it forgets it. */
function track(bus: KafkaBusState, started: Subscription): Subscription {
  const tracked: Subscription = {
    ready: started.ready,
    stop: async () => {
      bus.subscriptions.delete(tracked);
      await started.stop();
    },
  };
  bus.subscriptions.add(tracked);
  return tracked;
}
