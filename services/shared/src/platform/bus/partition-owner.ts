/**
 * What a member of a Kafka processor group holds for one partition it owns (kafka-processor.ts):
 * the task, where its inputs stand, and what waits for a commit; and for each commit group of
 * partitions it owns (commit-groups.ts), the transactional producer they commit through.
 */
import type { Producer } from "kafkajs";
import type { StoredMessage } from "./codec";
import { createPendingOutput, type PendingOutput } from "./pending-output";
import type { PartitionTask } from "./processor-port";
import type { OutRecord } from "./task-feed";

export interface Owner {
  partition: number;
  /** The commit group the partition belongs to. */
  group: CommitGroup;
  /** Serialises this partition's batches, timers and restores. */
  chain: Promise<void>;
  /** Resolves once the partition serves (fenced, restored, positioned). */
  ready: Promise<void>;
  task?: PartitionTask;
  /** The next input offset to handle: every input below it is reflected in the task's state. */
  position: bigint;
  /** The group's committed offset; below `position` while inputs' commits wait. */
  committed: bigint;
  /** What the task decided that waits for a commit (pending-output.ts), and dead letters. */
  pending: PendingOutput;
  deadLetters: OutRecord[];
  /** The input partition's end when the task was restored, and how long timers wait for it. */
  restoredEnd: bigint;
  timersHeldUntil: number;
  /** Fetched inputs not handled yet, and the offset after the last of them. */
  inbox: StoredMessage[];
  received: bigint;
  /** A pump of the inbox is queued on the chain. */
  pumping: boolean;
  /** Fetching paused while the inbox is full. */
  paused: boolean;
  timer?: NodeJS.Timeout;
  released: boolean;
}

/** Partitions that commit through one transactional producer (commit-groups.ts). */
export interface CommitGroup {
  index: number;
  owners: Set<Owner>;
  producer?: Producer;
  /** The producer's set-up (InitProducerId fences the previous owner), shared by the owners. */
  fencing?: Promise<Producer>;
  /**
   * Whether a transaction committed since the current producer was fenced: a restore then fences
   * again (see kafka-processor.ts `restore`).
   */
  committedSinceFence: boolean;
  /** The transaction in flight, and the one queued behind it (which takes what waits then). */
  flight?: Promise<boolean>;
  queued?: Promise<boolean>;
  /** The commit of what may wait, and when it is due. */
  flushTimer?: NodeJS.Timeout;
  flushDue: number;
}

export function newCommitGroup(index: number): CommitGroup {
  return { index, owners: new Set(), flushDue: 0, committedSinceFence: false };
}

/** A partition just assigned: nothing restored, nothing received. */
export function newOwner(partition: number, group: CommitGroup): Owner {
  const owner: Owner = {
    partition,
    group,
    chain: Promise.resolve(),
    ready: Promise.resolve(),
    position: 0n,
    committed: 0n,
    pending: createPendingOutput(),
    deadLetters: [],
    restoredEnd: 0n,
    timersHeldUntil: 0,
    released: false,
    inbox: [],
    received: 0n,
    pumping: false,
    paused: false,
  };
  group.owners.add(owner);
  return owner;
}
