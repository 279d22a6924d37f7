/**
 * The event bus port. Two adapters implement it with the same semantics, proven by one
 * contract suite (test/contract/bus.contract.ts): Kafka (kafkajs) and an in-process bus
 * for the all-in-one mode.
 *
 * Semantics the services rely on:
 * - Messages are EventEnvelopes, keyed by verification id unless a key is given; messages
 *   with one key keep their order within a topic.
 * - Each consumer group receives every message once it has subscribed (at-least-once: a
 *   message is redelivered if its handler fails or the consumer dies before committing);
 *   several consumers of one group split the partitions between them.
 * - A failing handler is retried `retry.attempts` times with backoff; then the message goes
 *   to the dead-letter topic (`<topic>.dlq` unless set) and consumption continues.
 *   Messages that cannot be decoded, envelopes of a newer schema version, and handlers that
 *   throw a non-retryable OtpError go to the dead-letter topic at once. Dead letters keep the
 *   original bytes and headers plus `dlq-*` headers (error code and message, original topic,
 *   partition, offset, group, attempts); see delivery.ts.
 * - Topics are never created implicitly: call ensureTopics first (subscribe creates the
 *   dead-letter topics itself).
 * - W3C trace context travels in headers (`traceparent`, `tracestate`); handlers run inside
 *   the publisher's trace.
 */
import type { EventEnvelope } from "@proto/otp/events/v1/events";
import type { BusMessage, MessageMeta, OutgoingMessage, Subscription } from "./messages";
import type { ProcessOptions, Processor } from "./processor-port";

export type { BusMessage, MessageMeta, OutgoingMessage, Subscription };

export interface PublishOptions {
  /** Partition key; defaults to the envelope's verification id. */
  key?: string;
  /** Extra headers; trace context is added by the bus. */
  headers?: Record<string, string>;
}

export type MessageHandler = (message: BusMessage) => Promise<void>;

export interface RetryPolicy {
  /** Handler attempts before dead-lettering, including the first. */
  attempts: number;
  /** First backoff; doubles each retry. */
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  handler: MessageHandler;
  /** Where a new group starts: the earliest retained message, or only new ones. */
  fromBeginning?: boolean;
  /**
   * A group of this subscription's own that never resumes (a reader of new messages): the broker
   * forgets it once the subscription stops, so starting and stopping such readers leaves nothing
   * behind.
   */
  transient?: boolean;
  retry?: Partial<RetryPolicy>;
  /** Dead-letter topic; defaults to `<topic>.dlq`. */
  deadLetterTopic?: (topic: string) => string;
  /** Partitions handled concurrently by one consumer (order is kept within a partition). */
  partitionConcurrency?: number;
  /**
   * A cheap filter for subscribers that want few of a topic's messages: those it refuses are
   * neither decoded nor handed to the handler, and count as handled. The handler must still
   * ignore what it does not want (see `eventTypes` in codec.ts).
   */
  accepts?: (message: MessageMeta) => boolean;
  /**
   * Takes a partition's messages a run at a time instead of one by one, so a subscriber can fold
   * several into one write: each call gets up to 100 consecutive messages of one partition in
   * offset order (those `accepts` refuses left out, undecodable ones dead-lettered first), and
   * they are all committed when it resolves. When it throws, the run is retried one message at a
   * time through `handler`, after one backoff, with the usual retries and dead-lettering, the
   * batch attempt counting as each message's first (`redelivery` starts at 1): a bad message is
   * dead-lettered alone and the rest handled. Both handlers must be idempotent.
   */
  batchHandler?: (messages: BusMessage[]) => Promise<void>;
}

export interface TopicSpec {
  name: string;
  partitions?: number;
  /** How long the log keeps messages (Kafka retention.ms); the broker's default when absent. */
  retentionMs?: number;
  /** Keep the latest message of each key instead of deleting by age (a changelog). */
  compacted?: boolean;
}

export interface EventBus {
  publish(topic: string, envelope: EventEnvelope, options?: PublishOptions): Promise<void>;
  /** Publishes several messages; all or (on error) possibly some of them are written. */
  publishBatch(messages: OutgoingMessage[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Stateful processing: partition-owned tasks, transactional output (see processor-port.ts). */
  process(options: ProcessOptions): Promise<Processor>;
  /** Creates topics that do not exist yet. */
  ensureTopics(topics: TopicSpec[]): Promise<void>;
  /** Stops every subscription, flushes the producer and disconnects. */
  close(): Promise<void>;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, initialBackoffMs: 100, maxBackoffMs: 5_000 };

export const deadLetterTopicOf = (topic: string): string => `${topic}.dlq`;
