/**
 * A standby copy of a processor's changelog (Kafka Streams' standby replicas): one consumer per
 * processor, in a group of its own, reads every partition of the compacted changelog from the
 * beginning (read committed, so aborted transactions never show) and keeps the latest value of
 * each key as bytes, undecoded. A member that takes a partition over restores it from here once
 * the copy has caught up with the changelog's end, so a takeover reads only the tail it missed;
 * any member can look a key up.
 */
import { randomUUID } from "node:crypto";
import type { Kafka } from "kafkajs";
import type { BusLogger } from "./logger";
import { type FetchLingerSettings, lingerOnFetches } from "./fetch-linger";
import { createChangelogCopy } from "./changelog-copy";

export interface ChangelogStandby {
  /**
   * The partition's latest values once the copy has read up to `end` (exclusive); `start` is the
   * partition's first retained offset (a log compacted to nothing has start = end).
   */
  restore(
    partition: number,
    start: bigint,
    end: bigint,
    timeoutMs?: number,
  ): Promise<Map<string, Uint8Array>>;
  latest(key: string): Uint8Array | undefined;
  stop(): Promise<void>;
}

export interface ChangelogStandbyOptions {
  kafka: Kafka;
  topic: string;
  /** The processor's group; the standby's own group is derived from it and unique per process. */
  groupId: string;
  logger: BusLogger;
  maxWaitTimeMs: number;
  /** The pause after a fetch round that brought little (fetch-linger.ts). */
  fetchLinger?: FetchLingerSettings;
}

export async function startChangelogStandby(options: ChangelogStandbyOptions): Promise<ChangelogStandby> {
  const copy = createChangelogCopy();
  const waiters = new Set<() => void>();
  const failers = new Set<(reason: string) => void>();
  const wakeWaiters = (): void => waiters.forEach((wake) => wake());

  let stopped = false;
  const consumer = options.kafka.consumer({
    groupId: `${options.groupId}.standby.${randomUUID()}`,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: options.maxWaitTimeMs,
    // kafkajs may restart a crashed consumer even after it was disconnected: never once stopped.
    retry: { retries: 5, restartOnFailure: async () => !stopped },
  });
  // Batches of nothing but transaction markers or aborted records reach no handler, only here.
  consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
    copy.advance(event.payload.partition, event.payload.lastOffset);
    wakeWaiters();
  });
  const linger = lingerOnFetches(consumer, options.fetchLinger);
  await consumer.connect();
  await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const readAgain = copy.apply(batch.partition, batch.messages, batch.lastOffset());
      if (readAgain > 0)
        options.logger.info(
          "changelog standby read records again (kafkajs restarted its consumer): kept the newer values",
          {
            topic: options.topic,
            partition: batch.partition,
            records: readAgain,
          },
        );
      wakeWaiters();
      await linger.afterBatch(batch.messages.length);
    },
  });

  return {
    restore(partition, start, end, timeoutMs = 60_000) {
      if (start >= end) return Promise.resolve(new Map());
      if (stopped) return Promise.reject(new Error("changelog standby stopped"));
      return new Promise((resolve, reject) => {
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
          failers.delete(fail);
        };
        const fail = (reason: string): void => {
          done();
          reject(new Error(reason));
        };
        const timer = setTimeout(
          () => fail(`changelog partition ${partition} not read up to ${end} within ${timeoutMs} ms`),
          timeoutMs,
        );
        const check = (): void => {
          if (copy.position(partition) < end) return;
          done();
          resolve(new Map(copy.valuesOf(partition)));
        };
        waiters.add(check);
        failers.add(fail);
        check();
      });
    },
    latest: (key) => copy.latest(key),
    async stop() {
      stopped = true;
      failers.forEach((fail) => fail("changelog standby stopped"));
      await consumer.disconnect().catch((err: unknown) =>
        options.logger.warn("changelog standby did not disconnect cleanly", {
          error: err instanceof Error ? err.message : String(err),
        }),
      );
    },
  };
}
