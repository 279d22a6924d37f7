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
import type { MemoryTopic, PartitionLog } from "./memory-log";
import { deadLetterTopicOf } from "./port";
import type { PartitionTask, Processor, ProcessOptions } from "./processor-port";
import { type FeedContext, feedTask, isEmptyOutput, type OutRecord, outputRecords } from "./task-feed";
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

/** What the partitions of one processor share. */
interface MemoryProcessorRun {
  deps: MemoryProcessorDeps;
  group: ProcessorGroupState;
  options: ProcessOptions;
  input: MemoryTopic;
  clock: () => number;
  feed: FeedContext;
}

/** One owned partition: its task, its log and how far it has read. */
interface OwnedPartition {
  partition: number;
  log: PartitionLog;
  task: PartitionTask;
  position: number;
  /** What the log held at the restore is handled before timers that fell due meanwhile. */
  restoredEnd: number;
  stopped: AbortController;
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
  const run: MemoryProcessorRun = {
    deps,
    group,
    options,
    input,
    clock: options.clock ?? Date.now,
    feed: {
      groupId: options.groupId,
      accepts: options.accepts,
      maxSchemaVersion: deps.maxSchemaVersion,
      authenticator: deps.authenticator,
      tracer: deps.tracer,
      logger: deps.logger,
      deadLetterTopic,
      now: () => deps.now(),
    },
  };
  const member: MemberHandle = { owners: new Map(), start: (partition) => startOwner(run, partition) };
  const ready = serialise(group, async () => {
    group.members.push(member);
    await rebalance(group, input);
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
        serialise(group, async () => {
          const index = group.members.indexOf(member);
          if (index < 0) return;
          group.members.splice(index, 1);
          const owners = [...member.owners.values()];
          member.owners.clear();
          await Promise.all(owners.map((o) => o.stop()));
          if (group.members.length > 0) await rebalance(group, input);
        }),
      )),
  };
}

/** Appends the records and, for the changelog's, keeps the group's compacted view. */
function commitRecords(
  run: MemoryProcessorRun,
  records: OutRecord[],
  partition: number,
  nextOffset: number | undefined,
): void {
  const { deps, group, options } = run;
  for (const r of records) {
    deps.append(r.topic, r.message, r.partition);
    if (r.topic !== options.changelogTopic) continue;
    const view = group.changelog.get(partition) ?? new Map<string, Uint8Array>();
    group.changelog.set(partition, view);
    if (r.message.value === null) view.delete(r.message.key);
    else view.set(r.message.key, r.message.value);
  }
  if (nextOffset !== undefined) group.committed.set(partition, nextOffset);
}

function startOwner(run: MemoryProcessorRun, partition: number): PartitionOwner {
  const { group, options } = run;
  const log = run.input.partitions[partition]!;
  const started = Date.now();
  const restored = new Map(group.changelog.get(partition) ?? []);
  const owned: OwnedPartition = {
    partition,
    log,
    task: options.createTask(partition, restored),
    position: group.committed.get(partition) ?? log.endOffset(),
    restoredEnd: log.endOffset(),
    stopped: new AbortController(),
  };
  group.committed.set(partition, owned.position);
  options.onOwnership?.({
    partition,
    kind: "serving",
    restoreMs: Date.now() - started,
    restoredKeys: restored.size,
  });

  const loop = (async () => {
    while (!owned.stopped.signal.aborted) {
      try {
        await step(run, owned);
      } catch (err) {
        run.deps.logger.error("in-process processor failed, retrying", {
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
      owned.stopped.abort();
      await loop;
      owned.task.close();
      options.onOwnership?.({ partition, kind: "released" });
    },
  };
}

function commitOutput(
  run: MemoryProcessorRun,
  owned: OwnedPartition,
  deadLetters: OutRecord[],
  nextOffset: number | undefined,
): void {
  const { options } = run;
  const { partition } = owned;
  const output = owned.task.drain();
  if (owned.stopped.signal.aborted) return; // revoked meanwhile: nothing of it takes effect
  if (isEmptyOutput(output) && deadLetters.length === 0 && nextOffset === undefined) return;
  if (!isEmptyOutput(output) || deadLetters.length > 0) options.beforeCommit?.(partition);
  commitRecords(
    run,
    [
      ...outputRecords(output, options.topic, options.changelogTopic, partition, run.deps.authenticator),
      ...deadLetters,
    ],
    partition,
    nextOffset,
  );
  output.afterCommit?.();
}

/** Handles the next batch of inputs, or fires due timers, or waits for either. */
async function step(run: MemoryProcessorRun, owned: OwnedPartition): Promise<void> {
  const { task, log } = owned;
  const due = task.nextDueAt();
  const overdue = due !== undefined && due <= run.clock();
  const fire = async () => {
    await task.fire(run.clock());
    commitOutput(run, owned, [], undefined);
  };
  if (overdue && owned.position >= owned.restoredEnd) return fire();
  const batch: StoredMessage[] = [];
  for (let offset = Math.max(owned.position, log.startOffset()); batch.length < MAX_BATCH; offset++) {
    const record = log.read(offset);
    if (!record) break;
    batch.push({ ...record, topic: run.options.topic, partition: owned.partition, offset: String(offset) });
  }
  if (batch.length > 0) {
    const deadLetters = await feedTask(task, batch, run.feed);
    const next = Number(batch[batch.length - 1]!.offset) + 1;
    commitOutput(run, owned, deadLetters, next);
    if (!owned.stopped.signal.aborted) owned.position = next;
    return;
  }
  if (overdue) return fire();
  await waitForInputOrTimer(run, owned, due);
}

async function waitForInputOrTimer(
  run: MemoryProcessorRun,
  owned: OwnedPartition,
  due: number | undefined,
): Promise<void> {
  const wake = new AbortController();
  const onStop = () => wake.abort();
  owned.stopped.signal.addEventListener("abort", onStop, { once: true });
  const waits = [owned.log.waitFor(owned.position, wake.signal)];
  if (due !== undefined)
    waits.push(
      sleep(Math.max(0, due - run.clock()), undefined, { signal: wake.signal }).catch(() => undefined),
    );
  await Promise.race(waits);
  wake.abort();
  owned.stopped.signal.removeEventListener("abort", onStop);
}

/** Splits the input partitions round-robin over the group's members. */
async function rebalance(group: ProcessorGroupState, input: MemoryTopic): Promise<void> {
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
}

/** Changes of the group's membership run one at a time. */
function serialise(group: ProcessorGroupState, change: () => Promise<void>): Promise<void> {
  const next = group.rebalancing.then(change);
  group.rebalancing = next.catch(() => undefined);
  return next;
}
