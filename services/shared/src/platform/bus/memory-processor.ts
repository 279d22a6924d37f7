/**
 * Stateful processors on the in-process bus, with the Kafka processor's semantics (same
 * contract suite): the members of a group split the input partitions round-robin; a partition
 * changes hands only after its previous owner stopped; an owner restores the partition's state
 * from the changelog's latest value per key; its output, changelog and input offset are
 * written in one synchronous step, so they commit together or not at all.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Tracer } from "@opentelemetry/api";
import type { RawMessage, StoredMessage } from "./codec";
import type { BusLogger } from "./logger";
import type { MemoryTopic } from "./memory-log";
import { deadLetterTopicOf } from "./port";
import type { PartitionTask, Processor, ProcessOptions } from "./processor-port";
import { feedTask, isEmptyOutput, type OutRecord, outputRecords } from "./task-feed";
import type { EventAuthenticator } from "./event-mac";

export interface MemoryProcessorDeps {
  topicOf(name: string): MemoryTopic;
  append(topic: string, message: RawMessage, partition?: number): void;
  ensureTopics(specs: Array<{ name: string }>): Promise<void>;
  tracer: Tracer;
  logger: BusLogger;
  maxSchemaVersion: number;
  authenticator?: EventAuthenticator;
  now(): Date;
}

/** One group's shared view: committed offsets and the compacted changelog. */
export interface ProcessorGroupState {
  committed: Map<number, number>;
  /** Per changelog partition, the latest value of each key. */
  changelog: Map<number, Map<string, Uint8Array>>;
  members: MemberHandle[];
  rebalancing: Promise<void>;
}

interface MemberHandle {
  owners: Map<number, PartitionOwner>;
  start(partition: number): PartitionOwner;
}

interface PartitionOwner {
  stop(): Promise<void>;
}

const MAX_BATCH = 500;

export function newProcessorGroupState(): ProcessorGroupState {
  return { committed: new Map(), changelog: new Map(), members: [], rebalancing: Promise.resolve() };
}

export async function startMemoryProcessor(
  deps: MemoryProcessorDeps,
  group: ProcessorGroupState,
  options: ProcessOptions,
): Promise<Processor> {
  const input = deps.topicOf(options.topic);
  deps.topicOf(options.changelogTopic);
  const deadLetterTopic = options.deadLetterTopic ?? deadLetterTopicOf;
  await deps.ensureTopics([{ name: deadLetterTopic(options.topic) }]);
  const clock = options.clock ?? Date.now;
  const feed = {
    groupId: options.groupId,
    accepts: options.accepts,
    maxSchemaVersion: deps.maxSchemaVersion,
    authenticator: deps.authenticator,
    tracer: deps.tracer,
    logger: deps.logger,
    deadLetterTopic,
    now: () => deps.now(),
  };

  const commit = (records: OutRecord[], partition: number, nextOffset: number | undefined): void => {
    for (const r of records) {
      deps.append(r.topic, r.message, r.partition);
      if (r.topic !== options.changelogTopic) continue;
      const view = group.changelog.get(partition) ?? new Map<string, Uint8Array>();
      group.changelog.set(partition, view);
      if (r.message.value === null) view.delete(r.message.key);
      else view.set(r.message.key, r.message.value);
    }
    if (nextOffset !== undefined) group.committed.set(partition, nextOffset);
  };

  const startOwner = (partition: number): PartitionOwner => {
    const log = input.partitions[partition]!;
    const stopped = new AbortController();
    const started = Date.now();
    const restored = new Map(group.changelog.get(partition) ?? []);
    const task: PartitionTask = options.createTask(partition, restored);
    let position = group.committed.get(partition) ?? log.endOffset();
    group.committed.set(partition, position);
    // What the log held at the restore is handled before timers that fell due meanwhile.
    const restoredEnd = log.endOffset();
    options.onOwnership?.({
      partition,
      kind: "serving",
      restoreMs: Date.now() - started,
      restoredKeys: restored.size,
    });

    const commitOutput = (deadLetters: OutRecord[], nextOffset: number | undefined): void => {
      const output = task.drain();
      if (stopped.signal.aborted) return; // revoked meanwhile: nothing of it takes effect
      if (isEmptyOutput(output) && deadLetters.length === 0 && nextOffset === undefined) return;
      if (!isEmptyOutput(output) || deadLetters.length > 0) options.beforeCommit?.(partition);
      commit(
        [
          ...outputRecords(output, options.topic, options.changelogTopic, partition, deps.authenticator),
          ...deadLetters,
        ],
        partition,
        nextOffset,
      );
      output.afterCommit?.();
    };

    const step = async (): Promise<void> => {
      const due = task.nextDueAt();
      const overdue = due !== undefined && due <= clock();
      const fire = async () => {
        await task.fire(clock());
        commitOutput([], undefined);
      };
      if (overdue && position >= restoredEnd) return fire();
      const batch: StoredMessage[] = [];
      for (let offset = Math.max(position, log.startOffset()); batch.length < MAX_BATCH; offset++) {
        const record = log.read(offset);
        if (!record) break;
        batch.push({ ...record, topic: options.topic, partition, offset: String(offset) });
      }
      if (batch.length > 0) {
        const deadLetters = await feedTask(task, batch, feed);
        const next = Number(batch[batch.length - 1]!.offset) + 1;
        commitOutput(deadLetters, next);
        if (!stopped.signal.aborted) position = next;
        return;
      }
      if (overdue) return fire();
      const wake = new AbortController();
      const onStop = () => wake.abort();
      stopped.signal.addEventListener("abort", onStop, { once: true });
      const waits = [log.waitFor(position, wake.signal)];
      if (due !== undefined)
        waits.push(
          sleep(Math.max(0, due - clock()), undefined, { signal: wake.signal }).catch(() => undefined),
        );
      await Promise.race(waits);
      wake.abort();
      stopped.signal.removeEventListener("abort", onStop);
    };

    const loop = (async () => {
      while (!stopped.signal.aborted) {
        try {
          await step();
        } catch (err) {
          deps.logger.error("in-process processor failed, retrying", {
            groupId: options.groupId,
            partition,
            error: err instanceof Error ? err.message : String(err),
          });
          await sleep(200);
        }
      }
    })();

    return {
      stop: async () => {
        stopped.abort();
        await loop;
        task.close();
        options.onOwnership?.({ partition, kind: "released" });
      },
    };
  };

  const member: MemberHandle = { owners: new Map(), start: startOwner };

  const rebalance = async (): Promise<void> => {
    const plan = new Map<MemberHandle, Set<number>>(group.members.map((m) => [m, new Set()]));
    input.partitions.forEach((_, partition) => {
      plan.get(group.members[partition % group.members.length]!)?.add(partition);
    });
    // Revoke first: a partition is never served by two members at once.
    await Promise.all(
      group.members.map(async (m) => {
        const keep = plan.get(m)!;
        const revoked = [...m.owners].filter(([p]) => !keep.has(p));
        revoked.forEach(([p]) => m.owners.delete(p));
        await Promise.all(revoked.map(([, owner]) => owner.stop()));
      }),
    );
    for (const m of group.members) {
      for (const p of plan.get(m)!) if (!m.owners.has(p)) m.owners.set(p, m.start(p));
    }
  };
  const serialise = (change: () => Promise<void>): Promise<void> => {
    const next = group.rebalancing.then(change);
    group.rebalancing = next.catch(() => undefined);
    return next;
  };

  const ready = serialise(async () => {
    group.members.push(member);
    await rebalance();
  });
  let stopping: Promise<void> | undefined;

  return {
    ready,
    owned: () => [...member.owners.keys()].sort((a, b) => a - b),
    latest(key) {
      for (const view of group.changelog.values()) {
        const value = view.get(key);
        if (value) return value;
      }
      return undefined;
    },
    stop: () =>
      (stopping ??= ready.then(() =>
        serialise(async () => {
          const index = group.members.indexOf(member);
          if (index < 0) return;
          group.members.splice(index, 1);
          const owners = [...member.owners.values()];
          member.owners.clear();
          await Promise.all(owners.map((o) => o.stop()));
          if (group.members.length > 0) await rebalance();
        }),
      )),
  };
}
