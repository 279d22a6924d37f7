/**
 * Kafka consumer lag of the groups a process consumes with, read at scrape time: for each
 * partition, the end offset (admin fetchTopicOffsets) minus the group's committed offset
 * (admin fetchOffsets). Committed offsets are what a restarted or rebalanced consumer resumes
 * from, so this lag keeps growing when a consumer is stuck in a handler, crashed or gone —
 * exactly when an alert is needed — whereas a lag taken from the consumer's own batches
 * (batch.offsetLag() in eachBatch) stops being updated then. Every replica of a service
 * reports the same numbers for its group: aggregate with max, not sum.
 */
import { Kafka, logLevel, type Admin } from "kafkajs";
import type { KafkaSecurity } from "../bus/kafka-security";
import type { Logger } from "../log";

/** Committed offset vs end of one partition, as a lag reader read it. */
export interface PartitionLag {
  group: string;
  topic: string;
  partition: number;
  lag: number;
}

export interface ConsumerLagOptions {
  brokers: string[];
  /** TLS and SASL, as the bus connects (kafkaSecurityFromEnv). */
  security?: KafkaSecurity;
  clientId: string;
  /** Consumer groups and the topics each consumes. */
  groups: Array<{ groupId: string; topics: string[] }>;
  logger: Logger;
  /** Scrapes closer together than this share one reading (default 5 s). */
  minIntervalMs?: number;
  /** A reading that takes longer is dropped (default 4 s, under Prometheus' scrape timeout). */
  timeoutMs?: number;
  now?: () => number;
}

export interface ConsumerLagReader {
  read(): Promise<PartitionLag[]>;
  close(): Promise<void>;
}

export function createConsumerLagReader(options: ConsumerLagOptions): ConsumerLagReader {
  const now = options.now ?? Date.now;
  const minIntervalMs = options.minIntervalMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 4_000;
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
    ...options.security,
  });
  const admin = kafka.admin();
  let connected: Promise<Admin> | undefined;
  let last: { at: number; reading: Promise<PartitionLag[]> } | undefined;

  const connect = (): Promise<Admin> =>
    (connected ??= admin.connect().then(
      () => admin,
      (err: unknown) => {
        connected = undefined;
        throw err;
      },
    ));

  const readAll = async (): Promise<PartitionLag[]> => {
    const ready = await connect();
    const lags: PartitionLag[] = [];
    for (const { groupId, topics } of options.groups) {
      for (const topic of topics) {
        const [ends, committed] = await Promise.all([
          ready.fetchTopicOffsets(topic),
          ready.fetchOffsets({ groupId, topics: [topic] }),
        ]);
        const partitions = committed.find((c) => c.topic === topic)?.partitions ?? [];
        for (const end of ends) {
          const offset = Number(partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
          lags.push({ group: groupId, topic, partition: end.partition, lag: lagOf(end, offset) });
        }
      }
    }
    return lags;
  };

  const readWithTimeout = async (): Promise<PartitionLag[]> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([readAll(), timeout]);
    } catch (err) {
      options.logger.warn("kafka consumer lag unavailable", { error: (err as Error).message });
      return [];
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    read() {
      if (last === undefined || now() - last.at >= minIntervalMs) {
        last = { at: now(), reading: readWithTimeout() };
      }
      return last.reading;
    },
    async close() {
      if (connected) await admin.disconnect().catch(() => undefined);
    },
  };
}

/** A group that never committed on a partition has everything still retained ahead of it. */
export function lagOf(end: { high: string; low: string }, committed: number): number {
  const high = Number(end.high);
  const from = committed >= 0 ? committed : Number(end.low);
  return Math.max(0, high - from);
}
