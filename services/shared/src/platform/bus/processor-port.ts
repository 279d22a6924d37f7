/**
 * Stateful processing on the bus, the way Kafka Streams tasks and Restate partition processors
 * work: the members of a group split the input topic's partitions; the member that owns a
 * partition holds that partition's state in memory (a PartitionTask) and handles its inputs and
 * its own timers one at a time. What a task decides — events to append and the changes of its
 * state — is written together with the input offsets it consumed, atomically (a Kafka
 * transaction; one synchronous step in-process), so a decision takes effect exactly once.
 *
 * State is made durable by a changelog topic (compacted, as many partitions as the input topic,
 * partition N holding the state of input partition N). A member that is assigned a partition
 * first fences the previous owner (Kafka: the transactional id of the partition's commit group,
 * commit-groups.ts), then restores the
 * partition's state from the changelog, then consumes from the committed offset, which is
 * exactly the point the changelog reflects. A commit that fails (fenced, broker away) drops the
 * task and restores it again, so memory never runs ahead of the log.
 *
 * Events commit as soon as they are decided. A change of state that emits nothing may wait a
 * little (Kafka: up to 100 ms) for the next commit, together with the offsets of the inputs
 * that caused it: an owner that dies meanwhile leaves those inputs uncommitted, and the next
 * owner handles them again. An adapter may commit sooner (in-process: at once).
 */
import type { BusMessage, MessageMeta, OutgoingMessage, Subscription } from "./messages";

/** A state change of one key; `null` deletes the key (a tombstone, compacted away). */
export interface ChangelogRecord {
  key: string;
  value: Uint8Array | null;
}

/** Everything a task decided since it was last drained. */
export interface TaskOutput {
  /** Events to append; those for the input topic land on the input partition. */
  messages: OutgoingMessage[];
  /** At most one record per key: the key's state after the last change. */
  changelog: ChangelogRecord[];
  /** Runs once this output is committed, never for an output that was not (metrics, health). */
  afterCommit?: () => void;
}

export interface PartitionTask {
  /**
   * Handles one input of the partition (offsets in order). A throw leaves the task's state as
   * it was and sends the message to the dead-letter topic.
   */
  handle(message: BusMessage): void | Promise<void>;
  /** When the task next wants `fire` (ms since the epoch), if ever. */
  nextDueAt(): number | undefined;
  /** Runs what is due at `now`. */
  fire(now: number): void | Promise<void>;
  /** Takes what was decided since the last drain. */
  drain(): TaskOutput;
  /** The partition was revoked, the task's state lost, or the processor stopped. */
  close(): void;
}

export interface ProcessOptions {
  groupId: string;
  /** The input topic. */
  topic: string;
  /** Compacted, with the input topic's partition count (ensureTopics with `compacted: true`). */
  changelogTopic: string;
  /** A cheap filter: refused messages are neither decoded nor handed to the task. */
  accepts?: (message: MessageMeta) => boolean;
  /** Builds the task of a partition from the changelog's latest value of each key. */
  createTask(partition: number, restored: ReadonlyMap<string, Uint8Array>): PartitionTask;
  /** Dead-letter topic; defaults to `<topic>.dlq`. */
  deadLetterTopic?: (topic: string) => string;
  /** Told each time a partition starts serving (restore finished) or stops. */
  onOwnership?: (change: OwnershipChange) => void;
  clock?: () => number;
  /**
   * How long the group waits for a silent member before its partitions move (Kafka
   * session.timeout.ms; the broker's group.min.session.timeout.ms bounds it from below). A
   * killed owner's partitions are served again after about this long plus the restore.
   */
  sessionTimeoutMs?: number;
  /**
   * Kafka: partitions that move between members together and commit in one transaction
   * (commit-groups.ts; default 4). Every member of the group must use the same number. The
   * in-process bus commits each step at once and ignores it.
   */
  partitionsPerCommit?: number;
  /**
   * Fault-injection seam for tests: runs inside each transaction after its records and offsets
   * were sent and before it commits (a process that dies here leaves an open transaction).
   */
  beforeCommit?: (partition: number) => void;
}

export interface OwnershipChange {
  partition: number;
  kind: "serving" | "released";
  /** For "serving": how long fencing, restoring and seeking took, and the keys restored. */
  restoreMs?: number;
  restoredKeys?: number;
}

export interface Processor extends Subscription {
  /** Partitions this member serves now. */
  owned(): number[];
  /**
   * The latest committed changelog value of a key, whichever member owns it (every member
   * keeps a standby copy of the whole changelog: takeovers restore from it, and any member can
   * answer a lookup).
   */
  latest(key: string): Uint8Array | undefined;
}
