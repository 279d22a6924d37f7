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
  type TopicSpec,
} from "./port";
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

export function createMemoryBus(options: MemoryBusOptions = {}): MemoryBus {
  const logger = options.logger ?? silentLogger;
  const tracer = options.tracer ?? defaultTracer();
  const topics = new Map<string, MemoryTopic>();
  const groups = new Map<string, ConsumerGroup>();
  const processorGroups = new Map<string, ProcessorGroupState>();
  const stops = new Set<() => Promise<void>>();
  let closed = false;

  const assertOpen = (): void => {
    if (closed) throw new OtpError("OTP_FAILED_PRECONDITION", "event bus is closed");
  };
  const topicOf = (name: string): MemoryTopic => {
    const topic = topics.get(name);
    if (!topic)
      throw new OtpError("OTP_FAILED_PRECONDITION", `unknown topic ${name}; call ensureTopics first`);
    return topic;
  };
  const groupFor = (groupId: string): ConsumerGroup => {
    let group = groups.get(groupId);
    if (!group) {
      group = createConsumerGroup(topicOf);
      groups.set(groupId, group);
    }
    return group;
  };
  const append = (topicName: string, message: RawMessage, partition?: number): void => {
    const topic = topicOf(topicName);
    topic.partitions[partition ?? partitionFor(message.key, topic.partitions.length)]!.append(message);
  };

  const ensureTopics = async (specs: TopicSpec[]): Promise<void> => {
    assertOpen();
    for (const spec of specs) {
      if (topics.has(spec.name)) continue;
      const partitions = spec.partitions ?? options.defaultPartitions ?? 6;
      topics.set(spec.name, createTopic(spec.name, partitions, options.maxRecordsPerPartition));
    }
  };

  const authenticator = options.authenticator;
  const sign = authenticator?.sign;

  const publishBatch = async (messages: OutgoingMessage[]): Promise<void> => {
    assertOpen();
    if (messages.length === 0) return;
    messages.forEach((m) => topicOf(m.topic));
    const topicNames = [...new Set(messages.map((m) => m.topic))];
    await withPublishSpan(
      tracer,
      topicNames.length === 1 ? topicNames[0]! : "multiple",
      messages.length,
      (traceHeaders) => {
        const encoded = messages.map((m) => ({
          topic: m.topic,
          raw: encodeEnvelope(m.envelope, m.key, { ...m.headers, ...traceHeaders }, sign),
        }));
        encoded.forEach(({ topic, raw }) => append(topic, raw));
        return Promise.resolve();
      },
    );
  };

  const publishRaw = async (topic: string, message: RawMessage): Promise<void> => {
    assertOpen();
    append(topic, {
      key: message.key,
      value: message.value && Uint8Array.from(message.value),
      headers: message.headers,
    });
  };

  return {
    publish: (topic, envelope, publishOptions) =>
      publishBatch([{ topic, envelope, key: publishOptions?.key, headers: publishOptions?.headers }]),
    publishBatch,
    publishRaw,
    ensureTopics,
    records: (topic) =>
      topicOf(topic).partitions.flatMap((log, partition) => {
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
      }),

    async subscribe(subscribeOptions) {
      assertOpen();
      const subscribed = subscribeOptions.topics.map(topicOf);
      const deadLetterTopic = subscribeOptions.deadLetterTopic ?? deadLetterTopicOf;
      await ensureTopics(subscribeOptions.topics.map((name) => ({ name: deadLetterTopic(name) })));

      const group = groupFor(subscribeOptions.groupId);
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
          authenticator,
          tracer,
          logger,
          deadLetter: (source, headers) =>
            publishRaw(deadLetterTopic(source.topic), { key: source.key, value: source.value, headers }),
          now: options.now ?? (() => new Date()),
        },
      };
      const ready = group.join(member);
      let stopping: Promise<void> | undefined;
      const stop = (): Promise<void> => {
        stopping ??= ready.then(() => group.leave(member)).finally(() => stops.delete(stop));
        return stopping;
      };
      stops.add(stop);
      return { ready, stop };
    },

    async process(processOptions) {
      assertOpen();
      let group = processorGroups.get(processOptions.groupId);
      if (!group) {
        group = newProcessorGroupState();
        processorGroups.set(processOptions.groupId, group);
      }
      const processor = await startMemoryProcessor(
        {
          topicOf,
          append,
          ensureTopics,
          tracer,
          logger,
          maxSchemaVersion: options.maxSchemaVersion ?? CURRENT_SCHEMA_VERSION,
          authenticator,
          now: options.now ?? (() => new Date()),
        },
        group,
        processOptions,
      );
      const stop = (): Promise<void> => processor.stop().finally(() => stops.delete(stop));
      stops.add(stop);
      return {
        ready: processor.ready,
        owned: () => processor.owned(),
        latest: (key) => processor.latest(key),
        stop,
      };
    },

    async close() {
      if (closed) return;
      await Promise.allSettled([...stops].map((stop) => stop()));
      closed = true;
    },
  };
}
