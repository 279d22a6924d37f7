/**
 * Stateful processors on Kafka (see processor-port.ts for the semantics). One kafkajs consumer
 * per processor in the processor's group. Partitions are dealt out in commit groups of
 * consecutive partitions (commit-groups.ts), and for each group it is assigned, a member holds
 * one transactional producer whose transactional id belongs to that group
 * (`<group>.<topic>.g<size>.<index>`). kafkajs speaks TxnOffsetCommit v0–v1 only, without
 * KIP-447's group-generation fencing, so the id per commit group is what fences a zombie owner:
 * the new owner's transactional InitProducerId (forced before anything is read) bumps the id's
 * epoch and ends the old owner's open transaction, and only then does the new owner read the
 * committed offsets and restore (partition-restore.ts).
 *
 * Per partition, inputs and timers run one at a time on a promise chain. What they decide
 * commits in the group's next transaction — output events, changelog records, dead letters and
 * the next input offsets — at once when it holds events, within STATE_COMMIT_MS when it is a
 * change of state alone (partition-commits.ts). A failed commit drops the group's tasks and
 * restores them again.
 */
import type { Tracer } from "@opentelemetry/api";
import type { Admin, Consumer, EachBatchPayload, Kafka } from "kafkajs";
import { startChangelogStandby, type ChangelogStandby } from "./kafka-changelog";
import type { BusLogger } from "./logger";
import { requireTopics, toStoredMessage } from "./kafka-subscription";
import { deadLetterTopicOf, type TopicSpec } from "./port";
import type { Processor, ProcessOptions } from "./processor-port";
import { type FeedContext, feedTask } from "./task-feed";
import { createPartitionCommits, type PartitionCommits } from "./partition-commits";
import { type CommitGroup, newCommitGroup, newOwner, type Owner } from "./partition-owner";
import type { EventAuthenticator } from "./event-mac";
import { type FetchLinger, type FetchLingerSettings, lingerOnFetches } from "./fetch-linger";
import { commitGroupOf, commitGroupsAssigner, DEFAULT_PARTITIONS_PER_COMMIT } from "./commit-groups";
import { groupProducer, type PartitionSource, readPartition } from "./partition-restore";

export interface KafkaProcessorDeps {
  kafka: Kafka;
  admin: () => Promise<Admin>;
  ensureTopics(topics: TopicSpec[]): Promise<void>;
  logger: BusLogger;
  tracer: Tracer;
  maxSchemaVersion: number;
  maxWaitTimeMs: number;
  /** The pause after a fetch round that brought little (fetch-linger.ts). */
  fetchLinger?: FetchLingerSettings;
  authenticator?: EventAuthenticator;
}

const RESTORE_RETRY_MS = 1_000;
/**
 * How long a partition waits after handing its inbox to the task before the next hand-over:
 * inputs arriving in the pause are handled (and committed) together.
 */
const LINGER_MS = 3;
/**
 * How long a restored partition's due timers wait for the inputs its log already held: timers
 * that fell due while nobody owned the partition still fire within about a second.
 */
const TIMER_HOLD_MS = 1_000;
/** Inputs held per partition before its fetching pauses. */
const INBOX_LIMIT = 5_000;

/** One running processor: what its partitions' steps share. */
interface ProcessorRun {
  deps: KafkaProcessorDeps;
  options: ProcessOptions;
  log: BusLogger;
  clock: () => number;
  /** Where restores read and the groups' producers write. */
  source: PartitionSource;
  feed: FeedContext;
  consumer: Consumer;
  commits: PartitionCommits;
  owners: Map<number, Owner>;
  /** The commit groups of the owned partitions. */
  groups: Map<number, CommitGroup>;
  linger: FetchLinger;
  /** The partitions of the group's last assignment to this member. */
  assignedNow: Set<number>;
  /** Releases under way (their last commit included), per partition. */
  releasing: Map<number, Promise<void>>;
  stopping?: Promise<void>;
}

export async function startKafkaProcessor(
  deps: KafkaProcessorDeps,
  options: ProcessOptions,
): Promise<Processor> {
  const { groupId, topic, changelogTopic } = options;
  const log = deps.logger;
  const deadLetterTopic = options.deadLetterTopic ?? deadLetterTopicOf;
  const admin = await deps.admin();
  await requireTopics(admin, [topic, changelogTopic]);
  await deps.ensureTopics([{ name: deadLetterTopic(topic) }]);
  const standby: ChangelogStandby = await startChangelogStandby({
    kafka: deps.kafka,
    topic: changelogTopic,
    groupId,
    logger: log,
    maxWaitTimeMs: Math.min(deps.maxWaitTimeMs, 100),
    fetchLinger: deps.fetchLinger,
  });
  const partitionsPerCommit = options.partitionsPerCommit ?? DEFAULT_PARTITIONS_PER_COMMIT;
  const consumer = deps.kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: deps.maxWaitTimeMs,
    sessionTimeout: options.sessionTimeoutMs ?? 10_000,
    heartbeatInterval: Math.max(100, Math.floor((options.sessionTimeoutMs ?? 10_000) / 5)),
    // Whole commit groups per member: the transactional id of a group fences its last owner.
    partitionAssigners: [commitGroupsAssigner(partitionsPerCommit)],
    retry: { retries: 5, restartOnFailure: async () => run.stopping === undefined },
  });
  const run: ProcessorRun = {
    deps,
    options,
    log,
    clock: options.clock ?? Date.now,
    source: { kafka: deps.kafka, admin, standby, groupId, topic, changelogTopic, partitionsPerCommit },
    feed: {
      groupId,
      accepts: options.accepts,
      maxSchemaVersion: deps.maxSchemaVersion,
      authenticator: deps.authenticator,
      tracer: deps.tracer,
      logger: log,
      deadLetterTopic,
      now: () => new Date(),
    },
    consumer,
    commits: createPartitionCommits({
      groupId,
      topic,
      changelogTopic,
      logger: log,
      beforeCommit: options.beforeCommit,
      authenticator: deps.authenticator,
      producerOf: (group) => groupProducer(run.source, group),
      restoreGroup: (group) => restoreGroup(run, group),
    }),
    owners: new Map<number, Owner>(),
    groups: new Map<number, CommitGroup>(),
    linger: lingerOnFetches(consumer, deps.fetchLinger),
    assignedNow: new Set<number>(),
    releasing: new Map<number, Promise<void>>(),
  };
  const ready = followAssignments(run);
  await run.consumer.connect();
  await run.consumer.subscribe({ topics: [topic], fromBeginning: false });
  await run.consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 64,
    eachBatch: (payload) => handleBatch(run, payload),
  });

  return {
    ready,
    owned: () => [...run.owners.keys()].sort((a, b) => a - b),
    latest: (key) => standby.latest(key),
    stop: () =>
      (run.stopping ??= (async () => {
        await run.consumer.disconnect().catch(() => undefined);
        await Promise.all([...run.owners.values()].map((o) => release(run, o)));
        await standby.stop();
        // A join that raced the disconnect may have assigned partitions since.
        await Promise.all([...run.owners.values()].map((o) => release(run, o)));
      })()),
  };
}

/** Runs a step on the partition's chain, after the steps before it, unless it was released. */
function enqueue(run: ProcessorRun, owner: Owner, work: () => Promise<void>): Promise<void> {
  const next = owner.chain.then(async () => {
    if (!owner.released) await work();
  });
  owner.chain = next.catch((err: unknown) =>
    run.log.error("partition processor step failed", {
      groupId: run.options.groupId,
      partition: owner.partition,
      error: err instanceof Error ? err.message : String(err),
    }),
  );
  return owner.chain;
}

function armTimer(run: ProcessorRun, owner: Owner): void {
  clearTimeout(owner.timer);
  const due = owner.task?.nextDueAt();
  if (due === undefined || owner.released) return;
  // A restored partition first handles what its log held at the restore (a receipt the last
  // owner saw but did not commit, say): a timer that fell due meanwhile must not fire past
  // it. The log may end in a transaction marker, which no input reaches: hence the deadline.
  const catchingUp = owner.position < owner.restoredEnd;
  const delay = Math.max(0, due - run.clock(), catchingUp ? owner.timersHeldUntil - Date.now() : 0);
  owner.timer = setTimeout(() => void enqueue(run, owner, () => fireTimers(run, owner)), delay);
}

async function fireTimers(run: ProcessorRun, owner: Owner): Promise<void> {
  const task = owner.task;
  if (!task) return;
  try {
    await task.fire(run.clock());
    if (await run.commits.commit(owner, [], undefined)) armTimer(run, owner);
  } catch (err) {
    run.log.error("partition timers failed: the state is restored from the log", {
      groupId: run.options.groupId,
      partition: owner.partition,
      error: err instanceof Error ? err.message : String(err),
    });
    await restore(run, owner);
  }
}

/** Stops a partition's task at once: nothing it decided from here on may commit. */
function dropTask(owner: Owner): void {
  clearTimeout(owner.timer);
  owner.pending.clear();
  owner.deadLetters = [];
  owner.task?.close();
  owner.task = undefined;
}

/** After a failed transaction: every task of the group restored from the log, a new producer. */
function restoreGroup(run: ProcessorRun, group: CommitGroup): void {
  group.fencing = undefined;
  for (const owner of group.owners) {
    dropTask(owner);
    void enqueue(run, owner, () => restore(run, owner));
  }
}

/**
 * Fences the previous owner of the partition's commit group, reads the committed offset,
 * restores the state, seeks.
 */
async function restore(run: ProcessorRun, owner: Owner): Promise<void> {
  const started = Date.now();
  dropTask(owner);
  const group = owner.group;
  // A transaction in flight (or queued behind it) may hold what the task decided before.
  await (group.queued ?? group.flight)?.catch(() => undefined);
  // The coordinator writes a commit's markers after answering it, so a read right after a
  // commit can miss it, and the inputs it consumed be decided again. A fresh InitProducerId is
  // answered (CONCURRENT_TRANSACTIONS, retried) only once every commit of the id is complete.
  if (group.fencing && group.committedSinceFence) group.fencing = undefined;
  for (;;) {
    if (owner.released || run.stopping) return;
    try {
      await restoreOnce(run, owner, started);
      return;
    } catch (err) {
      run.log.warn("partition restore failed, retrying", {
        groupId: run.options.groupId,
        partition: owner.partition,
        error: err instanceof Error ? err.message : String(err),
      });
      await new Promise((resolve) => setTimeout(resolve, RESTORE_RETRY_MS));
    }
  }
}

async function restoreOnce(run: ProcessorRun, owner: Owner, started: number): Promise<void> {
  const read = await readPartition(run.source, owner.group, owner.partition);
  if (owner.released) return;
  owner.task = run.options.createTask(owner.partition, read.state);
  owner.position = read.next;
  // Without a committed offset, the start is committed at once: a new owner after a
  // rebalance would otherwise start at a later end and skip what came in between.
  owner.committed = read.committed === undefined ? -1n : read.next;
  if (read.committed === undefined && !(await run.commits.flushGroup(owner.group))) return;
  owner.restoredEnd = read.inputEnd;
  owner.timersHeldUntil = Date.now() + TIMER_HOLD_MS;
  owner.received = read.next;
  owner.inbox = [];
  resumeFetching(run, owner);
  run.consumer.seek({ topic: run.options.topic, partition: owner.partition, offset: String(read.next) });
  armTimer(run, owner);
  run.options.onOwnership?.({
    partition: owner.partition,
    kind: "serving",
    restoreMs: Date.now() - started,
    restoredKeys: read.state.size,
  });
}

function assign(run: ProcessorRun, partition: number): Owner {
  const index = commitGroupOf(partition, run.source.partitionsPerCommit);
  let group = run.groups.get(index);
  if (!group) run.groups.set(index, (group = newCommitGroup(index)));
  const owner = newOwner(partition, group);
  // Given back while its release still commits: the restore reads after that commit.
  const released = run.releasing.get(partition);
  owner.ready = enqueue(run, owner, async () => {
    await released?.catch(() => undefined);
    await restore(run, owner);
  });
  run.owners.set(partition, owner);
  return owner;
}

function release(run: ProcessorRun, owner: Owner): Promise<void> {
  const released = releaseOnce(run, owner).finally(() => {
    if (run.releasing.get(owner.partition) === released) run.releasing.delete(owner.partition);
  });
  run.releasing.set(owner.partition, released);
  return released;
}

async function releaseOnce(run: ProcessorRun, owner: Owner): Promise<void> {
  owner.released = true;
  run.owners.delete(owner.partition);
  clearTimeout(owner.timer);
  await owner.chain;
  // What waits, so the next owner neither reads those inputs again nor misses their state.
  const group = owner.group;
  if (owner.task) await run.commits.flushGroup(group).catch(() => undefined);
  dropTask(owner);
  group.owners.delete(owner);
  run.options.onOwnership?.({ partition: owner.partition, kind: "released" });
  if (group.owners.size > 0 || run.groups.get(group.index) !== group) return;
  run.groups.delete(group.index);
  clearTimeout(group.flushTimer);
  await group.flight?.catch(() => undefined);
  await group.producer?.disconnect().catch(() => undefined);
}

/** Takes and gives up partitions as the group assigns them; resolves after the first join. */
function followAssignments(run: ProcessorRun): Promise<void> {
  let joined: (() => void) | undefined;
  const ready = new Promise<void>((resolve) => (joined = resolve));
  const { consumer, owners } = run;
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    if (run.stopping) return;
    const assigned = new Set(event.payload.memberAssignment[run.options.topic] ?? []);
    run.assignedNow = assigned;
    const revoked = [...owners.values()].filter((o) => !assigned.has(o.partition));
    const added = [...assigned].filter((p) => !owners.has(p)).map((p) => assign(run, p));
    void Promise.all([...revoked.map((o) => release(run, o)), ...added.map((o) => o.ready)]).then(() =>
      joined?.(),
    );
  });
  return ready;
}

/**
 * A fetched batch joins the partition's inbox and the fetch loop moves on at once; the
 * partition's pump hands the inbox to the task and commits it as one transaction, one
 * transaction in flight at a time, so inputs that arrive meanwhile join the next one.
 */
async function handleBatch(run: ProcessorRun, payload: EachBatchPayload): Promise<void> {
  const { batch } = payload;
  const { topic } = run.options;
  if (!run.assignedNow.has(batch.partition)) return; // revoked while this batch was fetched
  const owner = run.owners.get(batch.partition) ?? assign(run, batch.partition);
  await owner.ready;
  // A restore sought back to the committed offset: this batch was fetched before it.
  if (owner.released || !owner.task || payload.isStale()) return;
  for (const m of batch.messages) {
    if (BigInt(m.offset) >= owner.received) owner.inbox.push(toStoredMessage(topic, batch.partition, m));
  }
  const next = BigInt(batch.lastOffset()) + 1n;
  if (next > owner.received) owner.received = next;
  payload.resolveOffset(batch.lastOffset());
  if (owner.inbox.length >= INBOX_LIMIT && !owner.paused) {
    owner.paused = true;
    run.consumer.pause([{ topic, partitions: [owner.partition] }]);
  }
  schedulePump(run, owner);
  await payload.heartbeat();
  if (payload.isRunning()) await run.linger.afterBatch(batch.messages.length);
}

function schedulePump(run: ProcessorRun, owner: Owner, delayMs = 0): void {
  if (owner.pumping || owner.inbox.length === 0) return;
  owner.pumping = true;
  const go = () =>
    void enqueue(run, owner, async () => {
      owner.pumping = false;
      await pump(run, owner);
    });
  if (delayMs > 0) setTimeout(go, delayMs);
  else go();
}

async function pump(run: ProcessorRun, owner: Owner): Promise<void> {
  const task = owner.task;
  if (!task || owner.inbox.length === 0) return;
  const inputs = owner.inbox;
  const upTo = owner.received;
  owner.inbox = [];
  resumeFetching(run, owner);
  try {
    const deadLetters = await feedTask(task, inputs, run.feed);
    if (await run.commits.commit(owner, deadLetters, upTo)) armTimer(run, owner);
  } catch (err) {
    // Nothing of these inputs was committed: start again from the log.
    run.log.error("partition batch failed: its state is restored from the log", {
      groupId: run.options.groupId,
      partition: owner.partition,
      error: err instanceof Error ? err.message : String(err),
    });
    await new Promise((resolve) => setTimeout(resolve, RESTORE_RETRY_MS));
    await restore(run, owner);
  }
  schedulePump(run, owner, LINGER_MS);
}

function resumeFetching(run: ProcessorRun, owner: Owner): void {
  if (!owner.paused) return;
  owner.paused = false;
  run.consumer.resume([{ topic: run.options.topic, partitions: [owner.partition] }]);
}
