/**
 * When and how a processor's decisions commit (kafka-processor.ts): per commit group of
 * partitions (commit-groups.ts), one transaction at a time, each carrying what every partition
 * of the group decided since the last one, with their input offsets. Events and dead letters
 * ask for a transaction at once; while one is in flight they wait for the next, which takes
 * everything that arrived meanwhile, so the transactions per second follow the load and the
 * broker's pace, not the inputs. A change of state alone waits up to STATE_COMMIT_MS, the
 * offsets of inputs that changed nothing up to OFFSET_FLUSH_MS (pending-output.ts).
 *
 * What a partition's task decides is added to its pending output in the same synchronous step
 * that moves its position, after the input is handled: a transaction that takes it between
 * steps takes whole decisions with exactly the inputs they consumed.
 */
import type { Producer } from "kafkajs";
import type { EventAuthenticator } from "./event-mac";
import type { BusLogger } from "./logger";
import type { CommitGroup, Owner } from "./partition-owner";
import { type OutRecord, outputRecords } from "./task-feed";
import { writeTransaction } from "./kafka-transaction";

/** How long a change of state alone may wait for its commit (pending-output.ts). */
const STATE_COMMIT_MS = 100;
/** How long the offsets of inputs that changed nothing may wait for theirs. */
const OFFSET_FLUSH_MS = 1_000;
/**
 * The pause between a group's transactions: the coordinator is still writing the last one's
 * markers (it refuses the next one's first step with CONCURRENT_TRANSACTIONS meanwhile, which
 * costs a retried request), and what arrives in the pause joins the next transaction.
 */
const NEXT_TRANSACTION_GAP_MS = 3;

export interface PartitionCommitsContext {
  groupId: string;
  topic: string;
  changelogTopic: string;
  logger: BusLogger;
  beforeCommit?: (partition: number) => void;
  /** Signs the events the tasks decided (event-mac.ts). */
  authenticator?: EventAuthenticator;
  /** The group's transactional producer, set up (fenced) once per ownership. */
  producerOf: (group: CommitGroup) => Promise<Producer>;
  /** Drops the tasks of a group whose commit failed, and restores them from the log. */
  restoreGroup: (group: CommitGroup) => void;
}

export interface PartitionCommits {
  /**
   * Takes what the task decided and the inputs it consumed (up to `nextOffset`); false if it
   * was lost with a failed transaction (the task is then being restored).
   */
  commit: (owner: Owner, deadLetters: OutRecord[], nextOffset: bigint | undefined) => Promise<boolean>;
  /** Commits what every serving partition of the group decided; false if the transaction failed. */
  flushGroup: (group: CommitGroup) => Promise<boolean>;
}

export function createPartitionCommits(ctx: PartitionCommitsContext): PartitionCommits {
  const commit = (
    owner: Owner,
    deadLetters: OutRecord[],
    nextOffset: bigint | undefined,
  ): Promise<boolean> => {
    owner.pending.add(owner.task!.drain());
    owner.deadLetters.push(...deadLetters);
    if (nextOffset !== undefined) owner.position = nextOffset;
    if (owner.pending.urgent() || owner.deadLetters.length > 0) return flushGroup(owner.group);
    if (owner.pending.empty() && owner.position === owner.committed) return Promise.resolve(true);
    scheduleFlush(owner.group, owner.pending.empty() ? OFFSET_FLUSH_MS : STATE_COMMIT_MS);
    return Promise.resolve(true);
  };

  /** One transaction in flight per group; a second request waits for it and takes what waits then. */
  const flushGroup = (group: CommitGroup): Promise<boolean> => {
    if (group.queued) return group.queued;
    if (!group.flight) return startFlight(group);
    const queued = group.flight
      .then(() => new Promise((resolve) => setTimeout(resolve, NEXT_TRANSACTION_GAP_MS)))
      .then(() => {
        group.queued = undefined;
        return startFlight(group);
      });
    group.queued = queued;
    return queued;
  };

  const startFlight = (group: CommitGroup): Promise<boolean> => {
    clearTimeout(group.flushTimer);
    group.flushTimer = undefined;
    const flight = writeGroup(group, ctx).finally(() => {
      if (group.flight === flight) group.flight = undefined;
    });
    group.flight = flight;
    return flight;
  };

  const scheduleFlush = (group: CommitGroup, delayMs: number): void => {
    const due = Date.now() + delayMs;
    if (group.flushTimer && group.flushDue <= due) return;
    clearTimeout(group.flushTimer);
    group.flushDue = due;
    group.flushTimer = setTimeout(() => void flushGroup(group), delayMs);
  };

  return { commit, flushGroup };
}

/** Everything the group's serving partitions decided, as one transaction. */
async function writeGroup(group: CommitGroup, ctx: PartitionCommitsContext): Promise<boolean> {
  const parts = [...group.owners]
    .filter((owner) => owner.task !== undefined)
    .map((owner) => ({
      owner,
      output: owner.pending.take(),
      deadLetters: owner.deadLetters.splice(0),
      position: owner.position,
    }));
  const records: OutRecord[] = [];
  let withRecords: number | undefined;
  for (const { owner, output, deadLetters } of parts) {
    const own = [
      ...outputRecords(output, ctx.topic, ctx.changelogTopic, owner.partition, ctx.authenticator),
      ...deadLetters,
    ];
    if (own.length > 0) withRecords ??= owner.partition;
    records.push(...own);
  }
  const moved = parts.filter((p) => p.position > p.owner.committed);
  if (records.length === 0 && moved.length === 0) {
    for (const p of parts) p.output.afterCommit?.();
    return true;
  }
  try {
    const producer = await ctx.producerOf(group);
    await writeTransaction(producer, records, {
      groupId: ctx.groupId,
      topic: ctx.topic,
      offsets: moved.map((p) => ({ partition: p.owner.partition, next: p.position })),
      beforeCommit:
        ctx.beforeCommit && withRecords !== undefined ? () => ctx.beforeCommit!(withRecords) : undefined,
    });
  } catch (err) {
    ctx.logger.warn("commit failed: the commit group's partitions are restored from the log", {
      groupId: ctx.groupId,
      commitGroup: group.index,
      partitions: parts.map((p) => p.owner.partition),
      error: err instanceof Error ? err.message : String(err),
    });
    ctx.restoreGroup(group);
    return false;
  }
  group.committedSinceFence = true;
  for (const p of parts) {
    if (p.position > p.owner.committed) p.owner.committed = p.position;
    p.output.afterCommit?.();
  }
  return true;
}
