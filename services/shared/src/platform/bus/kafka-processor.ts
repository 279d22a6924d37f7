/**
 * Stateful processors on Kafka (see processor-port.ts for the semantics). One kafkajs consumer
 * per processor in the processor's group. Partitions are dealt out in commit groups of
 * consecutive partitions (commit-groups.ts), and for each group it is assigned, a member holds
 * one transactional producer whose transactional id belongs to that group
 * (`<group>.<topic>.g<size>.<index>`). kafkajs speaks TxnOffsetCommit v0–v1 only, without
 * KIP-447's group-generation fencing, so the id per commit group is what fences a zombie owner:
 * the new owner's InitProducerId bumps the id's epoch and ends the old owner's open
 * transaction, and only then does the new owner read the committed offsets and restore.
 *
 * Per partition, inputs and timers run one at a time on a promise chain. What they decide
 * commits in the group's next transaction — output events, changelog records, dead letters and
 * the next input offsets — at once when it holds events, within STATE_COMMIT_MS when it is a
 * change of state alone (partition-commits.ts). A failed commit drops the group's tasks and
 * restores them again.
 */
import type { Tracer } from "@opentelemetry/api";
import type { Admin, EachBatchPayload, Kafka, Producer } from "kafkajs";
import { OtpError } from "@domain/errors";
import { startChangelogStandby, type ChangelogStandby } from "./kafka-changelog";
import type { BusLogger } from "./logger";
import { toStoredMessage } from "./kafka-subscription";
import { deadLetterTopicOf, type TopicSpec } from "./port";
import type { Processor, ProcessOptions } from "./processor-port";
import { type FeedContext, feedTask } from "./task-feed";
import { producerWithCoordinatorCache } from "./kafka-coordinator-cache";
import { createPartitionCommits } from "./partition-commits";
import { type CommitGroup, newCommitGroup, newOwner, type Owner } from "./partition-owner";
import {
  commitGroupOf,
  commitGroupsAssigner,
  commitGroupTransactionalId,
  DEFAULT_PARTITIONS_PER_COMMIT,
} from "./commit-groups";
import type { EventAuthenticator } from "./event-mac";
import { createFetchLinger, type FetchLingerSettings } from "./fetch-linger";

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

export async function startKafkaProcessor(
  deps: KafkaProcessorDeps,
  options: ProcessOptions,
): Promise<Processor> {
  const { groupId, topic, changelogTopic } = options;
  const log = deps.logger;
  const clock = options.clock ?? Date.now;
  const deadLetterTopic = options.deadLetterTopic ?? deadLetterTopicOf;
  const admin = await deps.admin();
  const existing = new Set(await admin.listTopics());
  const missing = [topic, changelogTopic].filter((t) => !existing.has(t));
  if (missing.length > 0) {
    throw new OtpError(
      "OTP_FAILED_PRECONDITION",
      `unknown topic ${missing.join(", ")}; call ensureTopics first`,
    );
  }
  await deps.ensureTopics([{ name: deadLetterTopic(topic) }]);
  const feed: FeedContext = {
    groupId,
    accepts: options.accepts,
    maxSchemaVersion: deps.maxSchemaVersion,
    authenticator: deps.authenticator,
    tracer: deps.tracer,
    logger: log,
    deadLetterTopic,
    now: () => new Date(),
  };

  const standby: ChangelogStandby = await startChangelogStandby({
    kafka: deps.kafka,
    topic: changelogTopic,
    groupId,
    logger: log,
    maxWaitTimeMs: Math.min(deps.maxWaitTimeMs, 100),
    fetchLinger: deps.fetchLinger,
  });
  const owners = new Map<number, Owner>();
  const groups = new Map<number, CommitGroup>();
  const partitionsPerCommit = options.partitionsPerCommit ?? DEFAULT_PARTITIONS_PER_COMMIT;
  let stopping: Promise<void> | undefined;

  const consumer = deps.kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: deps.maxWaitTimeMs,
    sessionTimeout: options.sessionTimeoutMs ?? 10_000,
    heartbeatInterval: Math.max(100, Math.floor((options.sessionTimeoutMs ?? 10_000) / 5)),
    // Whole commit groups per member: the transactional id of a group fences its last owner.
    partitionAssigners: [commitGroupsAssigner(partitionsPerCommit)],
    retry: { retries: 5, restartOnFailure: async () => stopping === undefined },
  });
  const linger = createFetchLinger(deps.fetchLinger);
  consumer.on(consumer.events.FETCH_START, () => linger.newRound());

  const enqueue = (owner: Owner, work: () => Promise<void>): Promise<void> => {
    const next = owner.chain.then(async () => {
      if (!owner.released) await work();
    });
    owner.chain = next.catch((err: unknown) =>
      log.error("partition processor step failed", {
        groupId,
        partition: owner.partition,
        error: err instanceof Error ? err.message : String(err),
      }),
    );
    return owner.chain;
  };

  /** The group's producer, made and fenced once per ownership (again after a failed commit). */
  const producerOf = (group: CommitGroup): Promise<Producer> =>
    (group.fencing ??= (async () => {
      await group.producer?.disconnect().catch(() => undefined);
      const producer = producerWithCoordinatorCache(deps.kafka, {
        transactionalId: commitGroupTransactionalId(groupId, topic, partitionsPerCommit, group.index),
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        // Short first retries: CONCURRENT_TRANSACTIONS clears within milliseconds.
        retry: { initialRetryTime: 10, retries: 8 },
      });
      group.producer = producer;
      await producer.connect(); // InitProducerId: the previous owner is fenced from here on
      return producer;
    })().catch((err: unknown) => {
      group.fencing = undefined;
      throw err;
    }));

  /** Stops a partition's task at once: nothing it decided from here on may commit. */
  const dropTask = (owner: Owner): void => {
    clearTimeout(owner.timer);
    owner.pending.clear();
    owner.deadLetters = [];
    owner.task?.close();
    owner.task = undefined;
  };

  const { commit, flushGroup } = createPartitionCommits({
    groupId,
    topic,
    changelogTopic,
    logger: log,
    beforeCommit: options.beforeCommit,
    authenticator: deps.authenticator,
    producerOf,
    restoreGroup: (group) => {
      group.fencing = undefined;
      for (const owner of group.owners) {
        dropTask(owner);
        void enqueue(owner, () => restore(owner));
      }
    },
  });

  const armTimer = (owner: Owner): void => {
    clearTimeout(owner.timer);
    const due = owner.task?.nextDueAt();
    if (due === undefined || owner.released) return;
    // A restored partition first handles what its log held at the restore (a receipt the last
    // owner saw but did not commit, say): a timer that fell due meanwhile must not fire past
    // it. The log may end in a transaction marker, which no input reaches: hence the deadline.
    const catchingUp = owner.position < owner.restoredEnd;
    const delay = Math.max(0, due - clock(), catchingUp ? owner.timersHeldUntil - Date.now() : 0);
    owner.timer = setTimeout(
      () =>
        void enqueue(owner, async () => {
          const task = owner.task;
          if (!task) return;
          try {
            await task.fire(clock());
            if (await commit(owner, [], undefined)) armTimer(owner);
          } catch (err) {
            log.error("partition timers failed: the state is restored from the log", {
              groupId,
              partition: owner.partition,
              error: err instanceof Error ? err.message : String(err),
            });
            await restore(owner);
          }
        }),
      delay,
    );
  };

  /**
   * Fences the previous owner of the partition's commit group, reads the committed offset,
   * restores the state, seeks.
   */
  const restore = async (owner: Owner): Promise<void> => {
    const started = Date.now();
    dropTask(owner);
    // A transaction in flight may hold what the task decided before: its offsets first.
    await owner.group.flight?.catch(() => undefined);
    for (;;) {
      if (owner.released || stopping) return;
      try {
        await producerOf(owner.group);
        const position = await committedOffset(admin, groupId, topic, owner.partition);
        const inputEnd = (await admin.fetchTopicOffsets(topic)).find((o) => o.partition === owner.partition);
        const bounds = (await admin.fetchTopicOffsets(changelogTopic)).find(
          (o) => o.partition === owner.partition,
        );
        const restored = await standby.restore(
          owner.partition,
          BigInt(bounds?.low ?? 0),
          BigInt(bounds?.high ?? 0),
        );
        if (owner.released) return;
        owner.task = options.createTask(owner.partition, restored);
        owner.position = position.next;
        // Without a committed offset, the start is committed at once: a new owner after a
        // rebalance would otherwise start at a later end and skip what came in between.
        owner.committed = position.committed === undefined ? -1n : position.next;
        if (position.committed === undefined && !(await flushGroup(owner.group))) return;
        owner.restoredEnd = BigInt(inputEnd?.high ?? 0);
        owner.timersHeldUntil = Date.now() + TIMER_HOLD_MS;
        owner.received = position.next;
        owner.inbox = [];
        resumeFetching(owner);
        consumer.seek({ topic, partition: owner.partition, offset: String(position.next) });
        armTimer(owner);
        options.onOwnership?.({
          partition: owner.partition,
          kind: "serving",
          restoreMs: Date.now() - started,
          restoredKeys: restored.size,
        });
        return;
      } catch (err) {
        log.warn("partition restore failed, retrying", {
          groupId,
          partition: owner.partition,
          error: err instanceof Error ? err.message : String(err),
        });
        await new Promise((resolve) => setTimeout(resolve, RESTORE_RETRY_MS));
      }
    }
  };

  const assign = (partition: number): Owner => {
    const index = commitGroupOf(partition, partitionsPerCommit);
    let group = groups.get(index);
    if (!group) groups.set(index, (group = newCommitGroup(index)));
    const owner = newOwner(partition, group);
    owner.ready = enqueue(owner, () => restore(owner));
    owners.set(partition, owner);
    return owner;
  };

  const release = async (owner: Owner): Promise<void> => {
    owner.released = true;
    owners.delete(owner.partition);
    clearTimeout(owner.timer);
    await owner.chain;
    // What waits, so the next owner neither reads those inputs again nor misses their state.
    const group = owner.group;
    if (owner.task) await flushGroup(group).catch(() => undefined);
    dropTask(owner);
    group.owners.delete(owner);
    options.onOwnership?.({ partition: owner.partition, kind: "released" });
    if (group.owners.size > 0 || groups.get(group.index) !== group) return;
    groups.delete(group.index);
    clearTimeout(group.flushTimer);
    await group.flight?.catch(() => undefined);
    await group.producer?.disconnect().catch(() => undefined);
  };

  let assignedNow = new Set<number>();
  let joined: (() => void) | undefined;
  const ready = new Promise<void>((resolve) => (joined = resolve));
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    if (stopping) return;
    const assigned = new Set(event.payload.memberAssignment[topic] ?? []);
    assignedNow = assigned;
    const revoked = [...owners.values()].filter((o) => !assigned.has(o.partition));
    const added = [...assigned].filter((p) => !owners.has(p)).map(assign);
    void Promise.all([...revoked.map(release), ...added.map((o) => o.ready)]).then(() => joined?.());
  });

  /**
   * A fetched batch joins the partition's inbox and the fetch loop moves on at once; the
   * partition's pump hands the inbox to the task and commits it as one transaction, one
   * transaction in flight at a time, so inputs that arrive meanwhile join the next one.
   */
  const handleBatch = async (payload: EachBatchPayload): Promise<void> => {
    const { batch } = payload;
    if (!assignedNow.has(batch.partition)) return; // revoked while this batch was fetched
    const owner = owners.get(batch.partition) ?? assign(batch.partition);
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
      consumer.pause([{ topic, partitions: [owner.partition] }]);
    }
    schedulePump(owner);
    await payload.heartbeat();
    if (payload.isRunning()) await linger.afterBatch(batch.messages.length);
  };

  const schedulePump = (owner: Owner, delayMs = 0): void => {
    if (owner.pumping || owner.inbox.length === 0) return;
    owner.pumping = true;
    const run = () =>
      void enqueue(owner, async () => {
        owner.pumping = false;
        await pump(owner);
      });
    if (delayMs > 0) setTimeout(run, delayMs);
    else run();
  };

  const pump = async (owner: Owner): Promise<void> => {
    const task = owner.task;
    if (!task || owner.inbox.length === 0) return;
    const inputs = owner.inbox;
    const upTo = owner.received;
    owner.inbox = [];
    resumeFetching(owner);
    try {
      const deadLetters = await feedTask(task, inputs, feed);
      if (await commit(owner, deadLetters, upTo)) armTimer(owner);
    } catch (err) {
      // Nothing of these inputs was committed: start again from the log.
      log.error("partition batch failed: its state is restored from the log", {
        groupId,
        partition: owner.partition,
        error: err instanceof Error ? err.message : String(err),
      });
      await new Promise((resolve) => setTimeout(resolve, RESTORE_RETRY_MS));
      await restore(owner);
    }
    schedulePump(owner, LINGER_MS);
  };

  const resumeFetching = (owner: Owner): void => {
    if (!owner.paused) return;
    owner.paused = false;
    consumer.resume([{ topic, partitions: [owner.partition] }]);
  };

  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: false });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 64,
    eachBatch: handleBatch,
  });

  return {
    ready,
    owned: () => [...owners.keys()].sort((a, b) => a - b),
    latest: (key) => standby.latest(key),
    stop: () =>
      (stopping ??= (async () => {
        await consumer.disconnect().catch(() => undefined);
        await Promise.all([...owners.values()].map(release));
        await standby.stop();
        // A join that raced the disconnect may have assigned partitions since.
        await Promise.all([...owners.values()].map(release));
      })()),
  };
}

/** The group's committed offset of a partition, or (none yet) the partition's end. */
async function committedOffset(
  admin: Admin,
  groupId: string,
  topic: string,
  partition: number,
): Promise<{ committed: bigint | undefined; next: bigint }> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const found = offsets?.partitions.find((p) => p.partition === partition);
  if (found && Number(found.offset) >= 0)
    return { committed: BigInt(found.offset), next: BigInt(found.offset) };
  const end = (await admin.fetchTopicOffsets(topic)).find((o) => o.partition === partition);
  return { committed: undefined, next: BigInt(end?.high ?? 0) };
}
