/**
 * The in-process event bus of the all-in-one mode, with the Kafka bus's semantics (proven by
 * the same contract suite): partitioned topics of encoded envelopes, consumer groups with
 * committed offsets and rebalancing, retries then dead-letter, trace headers, asynchronous
 * delivery. Nothing survives the process.
 */
import type { Tracer } from "@opentelemetry/api";
import { OtpError } from "@domain/errors";
import {
  CURRENT_SCHEMA_VERSION,
  encodeEnvelope,
  type RawMessage,
  type RawPublisher,
  type StoredMessage,
} from "./codec";
import { type BusLogger, silentLogger } from "./logger";
import { createConsumerGroup, type ConsumerGroup, type GroupMember } from "./memory-group";
import { createTopic, type MemoryTopic, partitionFor } from "./memory-log";
import { newProcessorGroupState, type ProcessorGroupState, startMemoryProcessor } from "./memory-processor";
import {
  DEFAULT_RETRY,
  deadLetterTopicOf,
  type EventBus,
  type OutgoingMessage,
  type SubscribeOptions,
  type Subscription,
  type TopicSpec,
} from "./port";
import type { Processor, ProcessOptions } from "./processor-port";
import { defaultTracer, withPublishSpan } from "./trace-context";
import type { EventAuthenticator } from "./event-mac";

export interface MemoryBusOptions {
  logger?: BusLogger;
  tracer?: Tracer;
  /** Partitions of topics ensureTopics creates without a count. */
  defaultPartitions?: number;
  /** Retention bound: older records are dropped beyond this many per partition. */
  maxRecordsPerPartition?: number;
  /** Newest envelope schema version consumers accept; newer ones are dead-lettered. */
  maxSchemaVersion?: number;
  /** Signs what is published and checks what is delivered, as on Kafka (ADR 0010). */
  authenticator?: EventAuthenticator;
  now?: () => Date;
}

export interface MemoryBus extends EventBus, RawPublisher {
  /** Every retained record of a topic, partition by partition in offset order (inspection, tests). */
  records(topic: string): StoredMessage[];
}

/** The bus's topics, groups and running consumers. */
interface MemoryBusState {
  options: MemoryBusOptions;
  logger: BusLogger;
  tracer: Tracer;
  topics: Map<string, MemoryTopic>;
  groups: Map<string, ConsumerGroup>;
  processorGroups: Map<string, ProcessorGroupState>;
  stops: Set<() => Promise<void>>;
  closed: boolean;
}

export function createMemoryBus(options: MemoryBusOptions = {}): MemoryBus {
  const bus: MemoryBusState = {
    options,
    logger: options.logger ?? silentLogger,
    tracer: options.tracer ?? defaultTracer(),
    topics: new Map(),
    groups: new Map(),
    processorGroups: new Map(),
    stops: new Set(),
    closed: false,
  };
  const publishBatch = (messages: OutgoingMessage[]) => publishToLog(bus, messages);
  return {
    publish: (topic, envelope, publishOptions) =>
      publishBatch([{ topic, envelope, key: publishOptions?.key, headers: publishOptions?.headers }]),
    publishBatch,
    publishRaw: (topic, message) => publishRaw(bus, topic, message),
    ensureTopics: (specs) => ensureTopics(bus, specs),
    records: (topic) => recordsOf(bus, topic),
    subscribe: (subscribeOptions) => subscribe(bus, subscribeOptions),
    process: (processOptions) => startProcessor(bus, processOptions),
    async close() {
      if (bus.closed) return;
      await Promise.allSettled([...bus.stops].map((stop) => stop()));
      bus.closed = true;
    },
  };
}

function assertOpen(bus: MemoryBusState): void {
  if (bus.closed) throw new OtpError("OTP_FAILED_PRECONDITION", "event bus is closed");
}

function topicOf(bus: MemoryBusState, name: string): MemoryTopic {
  const topic = bus.topics.get(name);
  if (!topic) throw new OtpError("OTP_FAILED_PRECONDITION", `unknown topic ${name}; call ensureTopics first`);
  return topic;
}

function groupFor(bus: MemoryBusState, groupId: string): ConsumerGroup {
  let group = bus.groups.get(groupId);
  if (!group) {
    group = createConsumerGroup((name) => topicOf(bus, name));
    bus.groups.set(groupId, group);
  }
  return group;
}

function append(bus: MemoryBusState, topicName: string, message: RawMessage, partition?: number): void {
  const topic = topicOf(bus, topicName);
  topic.partitions[partition ?? partitionFor(message.key, topic.partitions.length)]!.append(message);
}

async function ensureTopics(bus: MemoryBusState, specs: TopicSpec[]): Promise<void> {
  assertOpen(bus);
  for (const spec of specs) {
    if (bus.topics.has(spec.name)) continue;
    const partitions = spec.partitions ?? bus.options.defaultPartitions ?? 6;
    bus.topics.set(spec.name, createTopic(spec.name, partitions, bus.options.maxRecordsPerPartition));
  }
}

async function publishToLog(bus: MemoryBusState, messages: OutgoingMessage[]): Promise<void> {
  assertOpen(bus);
  if (messages.length === 0) return;
  messages.forEach((m) => topicOf(bus, m.topic));
  const topicNames = [...new Set(messages.map((m) => m.topic))];
  const sign = bus.options.authenticator?.sign;
  await withPublishSpan(
    bus.tracer,
    topicNames.length === 1 ? topicNames[0]! : "multiple",
    messages.length,
    (traceHeaders) => {
      const encoded = messages.map((m) => ({
        topic: m.topic,
        raw: encodeEnvelope(m.envelope, m.key, { ...m.headers, ...traceHeaders }, sign),
      }));
      encoded.forEach(({ topic, raw }) => append(bus, topic, raw));
      return Promise.resolve();
    },
  );
}

async function publishRaw(bus: MemoryBusState, topic: string, message: RawMessage): Promise<void> {
  assertOpen(bus);
  append(bus, topic, {
    key: message.key,
    value: message.value && Uint8Array.from(message.value),
    headers: message.headers,
  });
}

function recordsOf(bus: MemoryBusState, topic: string): StoredMessage[] {
  return topicOf(bus, topic).partitions.flatMap((log, partition) => {
    const stored: StoredMessage[] = [];
    for (let offset = log.startOffset(); offset < log.endOffset(); offset++) {
      const record = log.read(offset)!;
      stored.push({
        topic,
        key: record.key,
        value: record.value,
        headers: { ...record.headers },
        partition,
        offset: String(offset),
      });
    }
    return stored;
  });
}

async function subscribe(bus: MemoryBusState, subscribeOptions: SubscribeOptions): Promise<Subscription> {
  assertOpen(bus);
  const { options } = bus;
  const subscribed = subscribeOptions.topics.map((name) => topicOf(bus, name));
  const deadLetterTopic = subscribeOptions.deadLetterTopic ?? deadLetterTopicOf;
  await ensureTopics(
    bus,
    subscribeOptions.topics.map((name) => ({ name: deadLetterTopic(name) })),
  );

  const group = groupFor(bus, subscribeOptions.groupId);
  group.initOffsets(subscribed, subscribeOptions.fromBeginning ?? false);
  const member: GroupMember = {
    topics: subscribeOptions.topics,
    partitionConcurrency: subscribeOptions.partitionConcurrency ?? 1,
    delivery: {
      groupId: subscribeOptions.groupId,
      handler: subscribeOptions.handler,
      batchHandler: subscribeOptions.batchHandler,
      accepts: subscribeOptions.accepts,
      retry: { ...DEFAULT_RETRY, ...subscribeOptions.retry },
      maxSchemaVersion: options.maxSchemaVersion ?? CURRENT_SCHEMA_VERSION,
      authenticator: options.authenticator,
      tracer: bus.tracer,
      logger: bus.logger,
      deadLetter: (source, headers) =>
        publishRaw(bus, deadLetterTopic(source.topic), { key: source.key, value: source.value, headers }),
      now: options.now ?? (() => new Date()),
    },
  };
  const ready = group.join(member);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= ready
      .then(() => group.leave(member))
      .finally(() => {
        bus.stops.delete(stop);
        if (
          subscribeOptions.transient &&
          group.memberCount() === 0 &&
          bus.groups.get(subscribeOptions.groupId) === group
        )
          bus.groups.delete(subscribeOptions.groupId);
      });
    return stopping;
  };
  bus.stops.add(stop);
  return { ready, stop };
}

async function startProcessor(bus: MemoryBusState, processOptions: ProcessOptions): Promise<Processor> {
  assertOpen(bus);
  const { options } = bus;
  let group = bus.processorGroups.get(processOptions.groupId);
  if (!group) {
    group = newProcessorGroupState();
    bus.processorGroups.set(processOptions.groupId, group);
  }
  const processor = await startMemoryProcessor(
    {
      topicOf: (name) => topicOf(bus, name),
      append: (topic, message, partition) => append(bus, topic, message, partition),
      ensureTopics: (specs) => ensureTopics(bus, specs),
      tracer: bus.tracer,
      logger: bus.logger,
      maxSchemaVersion: options.maxSchemaVersion ?? CURRENT_SCHEMA_VERSION,
      authenticator: options.authenticator,
      now: options.now ?? (() => new Date()),
    },
    group,
    processOptions,
  );
  const stop = (): Promise<void> => processor.stop().finally(() => bus.stops.delete(stop));
  bus.stops.add(stop);
  return {
    ready: processor.ready,
    owned: () => processor.owned(),
    latest: (key) => processor.latest(key),
    stop,
  };
}
