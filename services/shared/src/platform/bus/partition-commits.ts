/**
 * When and how a partition's decisions commit (kafka-processor.ts): events and dead letters at
 * once, a change of state alone within STATE_COMMIT_MS, offsets of inputs that changed nothing
 * within OFFSET_FLUSH_MS (pending-output.ts) — each as one transaction with the input offset.
 */
import type { EventAuthenticator } from "./event-mac";
import type { BusLogger } from "./logger";
import type { Owner } from "./partition-owner";
import { type OutRecord, outputRecords } from "./task-feed";
import { writeTransaction } from "./kafka-transaction";

/** How long a change of state alone may wait for its commit (pending-output.ts). */
const STATE_COMMIT_MS = 100;
/** How long the offsets of inputs that changed nothing may wait for theirs. */
const OFFSET_FLUSH_MS = 1_000;

export interface PartitionCommitsContext {
  groupId: string;
  topic: string;
  changelogTopic: string;
  logger: BusLogger;
  beforeCommit?: (partition: number) => void;
  /** Signs the events the task decided (event-mac.ts). */
  authenticator?: EventAuthenticator;
  /** Runs work on the partition's chain (one step at a time). */
  enqueue: (owner: Owner, work: () => Promise<void>) => Promise<void>;
  /** Drops the task and restores it from the log (after a failed commit). */
  restore: (owner: Owner) => Promise<void>;
}

export interface PartitionCommits {
  /** Takes what the task decided; false if a commit failed (the task was restored). */
  commit: (owner: Owner, deadLetters: OutRecord[], nextOffset: bigint | undefined) => Promise<boolean>;
  /** Writes everything that waits now; throws if the transaction failed. */
  writePending: (owner: Owner, deadLetters: OutRecord[]) => Promise<void>;
  /** One transaction of records and, if given, the next input offset. */
  write: (owner: Owner, records: OutRecord[], nextOffset: bigint | undefined) => Promise<void>;
}

export function createPartitionCommits(ctx: PartitionCommitsContext): PartitionCommits {
  const { groupId, topic, changelogTopic, enqueue, restore } = ctx;
  const log = ctx.logger;

  const write = (owner: Owner, records: OutRecord[], nextOffset: bigint | undefined): Promise<void> =>
    writeTransaction(owner.producer!, records, {
      groupId,
      topic,
      partition: owner.partition,
      nextOffset,
      beforeCommit: ctx.beforeCommit,
    });

  /**
   * Takes what the task decided. Events (and dead letters) commit at once, with every change
   * of state and input offset that waits; a change of state alone waits for them, or for
   * STATE_COMMIT_MS, and inputs that changed nothing for OFFSET_FLUSH_MS (pending-output.ts).
   * On a failed commit the task is dropped and restored from the log.
   */
  const commit = async (
    owner: Owner,
    deadLetters: OutRecord[],
    nextOffset: bigint | undefined,
  ): Promise<boolean> => {
    owner.pending.add(owner.task!.drain());
    if (nextOffset !== undefined) owner.position = nextOffset;
    if (owner.pending.urgent() || deadLetters.length > 0) return flush(owner, deadLetters);
    if (owner.pending.empty() && owner.position === owner.committed) return true;
    scheduleFlush(owner, owner.pending.empty() ? OFFSET_FLUSH_MS : STATE_COMMIT_MS);
    return true;
  };

  /** Commits everything that waits; false (and the task restored) if the commit failed. */
  const flush = async (owner: Owner, deadLetters: OutRecord[] = []): Promise<boolean> => {
    clearTimeout(owner.flushTimer);
    owner.flushTimer = undefined;
    try {
      await writePending(owner, deadLetters);
      return true;
    } catch (err) {
      log.warn("partition commit failed: its state is restored from the log", {
        groupId,
        partition: owner.partition,
        error: err instanceof Error ? err.message : String(err),
      });
      await restore(owner);
      return false;
    }
  };

  const writePending = async (owner: Owner, deadLetters: OutRecord[]): Promise<void> => {
    const output = owner.pending.take();
    const records = [
      ...outputRecords(output, topic, changelogTopic, owner.partition, ctx.authenticator),
      ...deadLetters,
    ];
    const offset = owner.position > owner.committed ? owner.position : undefined;
    if (records.length > 0 || offset !== undefined) await write(owner, records, offset);
    owner.committed = owner.position;
    output.afterCommit?.();
  };

  const scheduleFlush = (owner: Owner, delayMs: number): void => {
    const due = Date.now() + delayMs;
    if (owner.flushTimer && owner.flushDue <= due) return;
    clearTimeout(owner.flushTimer);
    owner.flushDue = due;
    owner.flushTimer = setTimeout(
      () =>
        void enqueue(owner, async () => {
          if (owner.task && owner.flushTimer) await flush(owner);
        }),
      delayMs,
    );
  };

  return { commit, writePending, write };
}
