/**
 * What a member of a Kafka processor group holds for one partition it owns (kafka-processor.ts):
 * the task, its transactional producer, where its inputs stand, and what waits for a commit.
 */
import type { Producer } from "kafkajs";
import type { StoredMessage } from "./codec";
import { createPendingOutput, type PendingOutput } from "./pending-output";
import type { PartitionTask } from "./processor-port";

export interface Owner {
  partition: number;
  /** Serialises this partition's batches, timers and restores. */
  chain: Promise<void>;
  /** Resolves once the partition serves (fenced, restored, positioned). */
  ready: Promise<void>;
  producer?: Producer;
  task?: PartitionTask;
  /** The next input offset to handle: every input below it is reflected in the task's state. */
  position: bigint;
  /** The group's committed offset; below `position` while inputs' commits wait. */
  committed: bigint;
  /** What the task decided that waits for a commit (pending-output.ts). */
  pending: PendingOutput;
  /** The commit of what waits, and when it is due. */
  flushTimer?: NodeJS.Timeout;
  flushDue: number;
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

/** A partition just assigned: nothing restored, nothing received. */
export function newOwner(partition: number): Owner {
  return {
    partition,
    chain: Promise.resolve(),
    ready: Promise.resolve(),
    position: 0n,
    committed: 0n,
    pending: createPendingOutput(),
    flushDue: 0,
    restoredEnd: 0n,
    timersHeldUntil: 0,
    released: false,
    inbox: [],
    received: 0n,
    pumping: false,
    paused: false,
  };
}
