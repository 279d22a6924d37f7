/**
 * Consumer groups of the in-process bus, with Kafka's semantics: committed offsets per
 * partition, partitions split round-robin between the group's members, a rebalance whenever
 * one joins or leaves (the member losing a partition finishes its message in hand first),
 * and at most `partitionConcurrency` messages (or runs, with a batch handler) in a member's
 * handlers at once.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type DeliveryContext, deliver, deliverBatch, MAX_BATCH_MESSAGES } from "./delivery";
import type { StoredMessage } from "./codec";
import type { MemoryTopic, PartitionLog } from "./memory-log";

type PartitionKey = `${string}#${number}`;

const RESTART_AFTER_FAILURE_MS = 1_000;

export interface GroupMember {
  topics: string[];
  /** Everything deliver() needs except the backoff, which the member's stop interrupts. */
  delivery: Omit<DeliveryContext, "backoff">;
  partitionConcurrency: number;
}

export interface ConsumerGroup {
  /** Sets the start offset of partitions this group has never committed. */
  initOffsets(topics: MemoryTopic[], fromBeginning: boolean): void;
  join(member: GroupMember): Promise<void>;
  leave(member: GroupMember): Promise<void>;
  /** Members now (a transient group with none is forgotten). */
  memberCount(): number;
}

interface PartitionWorker {
  stop(): Promise<void>;
}

interface MemberState {
  member: GroupMember;
  workers: Map<PartitionKey, PartitionWorker>;
  slots: Semaphore;
}

export function createConsumerGroup(topicOf: (name: string) => MemoryTopic): ConsumerGroup {
  const committed = new Map<PartitionKey, number>();
  const members: MemberState[] = [];
  let rebalancing: Promise<void> = Promise.resolve();

  const startWorker = (state: MemberState, key: PartitionKey): PartitionWorker => {
    const [topicName, partition] = splitKey(key);
    const log = topicOf(topicName).partitions[partition]!;
    const abort = new AbortController();
    const { signal } = abort;
    const context: DeliveryContext = {
      ...state.member.delivery,
      backoff: (ms) => sleep(ms, true, { signal }).catch(() => false),
    };
    const deliverNext = async (): Promise<void> => {
      const offset = Math.max(committed.get(key) ?? log.startOffset(), log.startOffset());
      const record = log.read(offset);
      if (!record) return log.waitFor(offset, signal);
      const release = await state.slots.acquire();
      try {
        // Waiting for a slot is not having the message in hand: a stopping worker leaves it.
        if (signal.aborted) return;
        if (context.batchHandler) {
          const { handled } = await deliverBatch(readRun(log, topicName, partition, offset), context);
          if (handled > 0) committed.set(key, offset + handled);
          return;
        }
        const stored = { ...record, topic: topicName, partition, offset: String(offset) };
        if ((await deliver(stored, context)) !== "abandoned") committed.set(key, offset + 1);
      } finally {
        release();
      }
    };
    const loop = (async () => {
      while (!signal.aborted) {
        try {
          await deliverNext();
        } catch (err) {
          // Only the dead-letter write can fail here; like a crashed Kafka consumer, try the
          // same message again a little later.
          state.member.delivery.logger.error("in-process consumer failed, retrying", {
            groupId: state.member.delivery.groupId,
            topic: topicName,
            partition,
            error: err instanceof Error ? err.message : String(err),
          });
          await context.backoff(RESTART_AFTER_FAILURE_MS);
        }
      }
    })();
    return {
      stop: async () => {
        abort.abort();
        await loop;
      },
    };
  };

  const rebalance = async (): Promise<void> => {
    const plan = assignRoundRobin(members, topicOf);
    // Revoke first, so a partition is never handled by two members at once.
    await Promise.all(
      members.map(async (state) => {
        const keep = plan.get(state)!;
        const revoked = [...state.workers].filter(([key]) => !keep.has(key));
        revoked.forEach(([key]) => state.workers.delete(key));
        await Promise.all(revoked.map(([, worker]) => worker.stop()));
      }),
    );
    for (const state of members) {
      for (const key of plan.get(state)!) {
        if (!state.workers.has(key)) state.workers.set(key, startWorker(state, key));
      }
    }
  };

  const serialise = (change: () => Promise<void>): Promise<void> => {
    const next = rebalancing.then(change);
    rebalancing = next.catch(() => undefined);
    return next;
  };

  return {
    initOffsets(topics, fromBeginning) {
      for (const topic of topics) {
        topic.partitions.forEach((log, partition) => {
          const key = partitionKey(topic.name, partition);
          if (!committed.has(key)) committed.set(key, fromBeginning ? log.startOffset() : log.endOffset());
        });
      }
    },
    join: (member) =>
      serialise(async () => {
        members.push({ member, workers: new Map(), slots: createSemaphore(member.partitionConcurrency) });
        await rebalance();
      }),
    leave: (member) =>
      serialise(async () => {
        const index = members.findIndex((state) => state.member === member);
        if (index < 0) return;
        const [state] = members.splice(index, 1);
        await Promise.all([...state!.workers.values()].map((worker) => worker.stop()));
        await rebalance();
      }),
    memberCount: () => members.length,
  };
}

/** Consecutive records from `offset`, at most MAX_BATCH_MESSAGES of them. */
function readRun(log: PartitionLog, topic: string, partition: number, offset: number): StoredMessage[] {
  const run: StoredMessage[] = [];
  for (let at = offset; run.length < MAX_BATCH_MESSAGES; at++) {
    const record = log.read(at);
    if (!record) break;
    run.push({ ...record, topic, partition, offset: String(at) });
  }
  return run;
}

function assignRoundRobin(
  states: MemberState[],
  topicByName: (name: string) => MemoryTopic,
): Map<MemberState, Set<PartitionKey>> {
  const plan = new Map(states.map((state) => [state, new Set<PartitionKey>()]));
  const topicNames = [...new Set(states.flatMap((state) => state.member.topics))].sort();
  let turn = 0;
  for (const name of topicNames) {
    const eligible = states.filter((state) => state.member.topics.includes(name));
    topicByName(name).partitions.forEach((_, partition) => {
      plan.get(eligible[turn++ % eligible.length]!)!.add(partitionKey(name, partition));
    });
  }
  return plan;
}

function partitionKey(topic: string, partition: number): PartitionKey {
  return `${topic}#${partition}`;
}

function splitKey(key: PartitionKey): [string, number] {
  const at = key.lastIndexOf("#");
  return [key.slice(0, at), Number(key.slice(at + 1))];
}

interface Semaphore {
  acquire(): Promise<() => void>;
}

function createSemaphore(size: number): Semaphore {
  let free = Math.max(1, size);
  const queue: Array<() => void> = [];
  const release = (): void => {
    const next = queue.shift();
    if (next) next();
    else free++;
  };
  return {
    acquire() {
      if (free > 0) {
        free--;
        return Promise.resolve(release);
      }
      return new Promise((resolve) => queue.push(() => resolve(release)));
    },
  };
}
