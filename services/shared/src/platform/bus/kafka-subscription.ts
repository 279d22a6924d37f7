/**
 * One subscription of the Kafka bus: a kafkajs consumer in a consumer group. Messages are
 * handled in order per partition; an offset is resolved (and so committed) only after its
 * message was handled or dead-lettered, so a crash redelivers rather than loses.
 *
 * kafkajs heartbeats only between messages, so the batch loop heartbeats after every message
 * (every run, with a batch handler) and during retry backoff.
 */
import type { Tracer } from "@opentelemetry/api";
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from "kafkajs";
import { setTimeout as sleep } from "node:timers/promises";
import { OtpError } from "@domain/errors";
import { type DeliveryContext, deliver, deliverBatch, MAX_BATCH_MESSAGES } from "./delivery";
import type { BusLogger } from "./logger";
import type { RawMessage, StoredMessage } from "./codec";
import type { EventAuthenticator } from "./event-mac";
import { type FetchLinger, type FetchLingerSettings, lingerOnFetches } from "./fetch-linger";
import {
  DEFAULT_RETRY,
  deadLetterTopicOf,
  type SubscribeOptions,
  type Subscription,
  type TopicSpec,
} from "./port";

export interface KafkaSubscriptionDeps {
  kafka: Kafka;
  admin: () => Promise<Admin>;
  ensureTopics(topics: TopicSpec[]): Promise<void>;
  publishRaw(topic: string, message: RawMessage): Promise<void>;
  logger: BusLogger;
  tracer: Tracer;
  maxSchemaVersion: number;
  authenticator?: EventAuthenticator;
  /** Fetch long-poll; stop() may wait this long for the fetch in flight. */
  maxWaitTimeMs: number;
  /** The pause after a fetch round that brought little (fetch-linger.ts). */
  fetchLinger?: FetchLingerSettings;
}

const HEARTBEAT_DURING_BACKOFF_MS = 1_000;
const COMMIT_INTERVAL_MS = 1_000;

/** One subscription's consumer, what it handled and whether it is stopping. */
interface SubscriptionRun {
  deps: KafkaSubscriptionDeps;
  options: SubscribeOptions;
  baseContext: Omit<DeliveryContext, "backoff">;
  /** The next offset to commit per partition handled here, so a stop can commit it. */
  handled: Map<string, { topic: string; partition: number; offset: string }>;
  current?: RunningConsumer;
  recovering: boolean;
  stopping?: Promise<void>;
}

interface RunningConsumer {
  consumer: Consumer;
  ready: Promise<void>;
}

export async function startKafkaSubscription(
  deps: KafkaSubscriptionDeps,
  options: SubscribeOptions,
): Promise<Subscription> {
  const deadLetterTopic = options.deadLetterTopic ?? deadLetterTopicOf;
  await requireTopics(await deps.admin(), options.topics);
  await deps.ensureTopics(options.topics.map((topic) => ({ name: deadLetterTopic(topic) })));
  const run: SubscriptionRun = {
    deps,
    options,
    baseContext: {
      groupId: options.groupId,
      handler: options.handler,
      batchHandler: options.batchHandler,
      accepts: options.accepts,
      retry: { ...DEFAULT_RETRY, ...options.retry },
      maxSchemaVersion: deps.maxSchemaVersion,
      authenticator: deps.authenticator,
      tracer: deps.tracer,
      logger: deps.logger,
      deadLetter: (source, headers) =>
        deps.publishRaw(deadLetterTopic(source.topic), { key: source.key, value: source.value, headers }),
      now: () => new Date(),
    },
    handled: new Map(),
    recovering: false,
  };
  const first = await startConsumer(run);
  run.current = first;
  return {
    ready: first.ready,
    stop: () =>
      (run.stopping ??= (async () => {
        const { consumer } = run.current ?? first;
        // What was handled since the last interval commit; a batch still in hand commits its
        // own when it ends (handleBatch), before the group is left.
        await consumer.commitOffsets([...run.handled.values()]).catch(() => undefined);
        await consumer.disconnect();
        if (options.transient) await forgetGroup(deps, options.groupId);
      })()),
  };
}

/** Deletes a transient subscription's group (its offsets with it) once its member has left. */
async function forgetGroup(deps: KafkaSubscriptionDeps, groupId: string): Promise<void> {
  try {
    await (await deps.admin()).deleteGroups([groupId]);
  } catch (err) {
    deps.logger.warn("transient consumer group not deleted: the broker drops it once its offsets expire", {
      groupId,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}

/** Refuses topics nobody created: the bus never creates them implicitly. */
export async function requireTopics(admin: Admin, topics: string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((topic) => !existing.has(topic));
  if (missing.length > 0) {
    throw new OtpError(
      "OTP_FAILED_PRECONDITION",
      `unknown topic ${missing.join(", ")}; call ensureTopics first`,
    );
  }
}

async function startConsumer(run: SubscriptionRun): Promise<RunningConsumer> {
  const { deps, options, handled } = run;
  const consumer = deps.kafka.consumer({
    groupId: options.groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: deps.maxWaitTimeMs,
    // kafkajs restarts a crashed consumer by itself, also one that was disconnected while a
    // restart was under way (a stop during a broker outage): it would then retry forever
    // after stop(), keeping the process alive. A stopped subscription never comes back.
    retry: { retries: 5, restartOnFailure: async () => run.stopping === undefined },
  });
  const ready = watchGroupJoin(consumer, deps, options);
  const linger = lingerOnFetches(consumer, deps.fetchLinger);
  // Offsets of partitions this member lost are another member's to commit now.
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    for (const [key, entry] of handled) {
      if (!(event.payload.memberAssignment[entry.topic] ?? []).includes(entry.partition)) handled.delete(key);
    }
  });
  // The caller may never await `ready`; a failed join must not become an unhandled rejection.
  ready.catch(() => undefined);
  consumer.on(consumer.events.CRASH, (event) => {
    if (!event.payload.restart) void recover(run, consumer);
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning ?? false });
    await consumer.run({
      eachBatchAutoResolve: false,
      // kafkajs's auto-commit commits after every fetched batch, whatever the interval: one
      // OffsetCommit per batch and group. Commits are ours instead: at most once a second,
      // and at once when the consumer stops or loses the partition (handleBatch).
      autoCommit: false,
      autoCommitInterval: COMMIT_INTERVAL_MS,
      partitionsConsumedConcurrently: options.partitionConcurrency ?? 1,
      eachBatch: (payload) =>
        handleBatch(
          linger,
          {
            ...payload,
            resolveOffset: (offset) => {
              payload.resolveOffset(offset);
              const { topic, partition } = payload.batch;
              handled.set(`${topic}#${partition}`, {
                topic,
                partition,
                offset: String(BigInt(offset) + 1n),
              });
            },
          },
          run.baseContext,
        ),
    });
  } catch (err) {
    await consumer.disconnect().catch(() => undefined);
    throw err;
  }
  return { consumer, ready };
}

/**
 * kafkajs gives up on a consumer after errors it does not retry (a broker that stayed away
 * longer than its retries): start a new one, with backoff, until it runs or we are stopped.
 * Uncommitted messages are redelivered to it, so nothing is lost.
 */
async function recover(run: SubscriptionRun, crashed: Consumer): Promise<void> {
  const { groupId } = run.options;
  if (run.stopping || run.recovering || crashed !== run.current?.consumer) return;
  run.recovering = true;
  await crashed.disconnect().catch(() => undefined);
  for (let attempt = 0; !run.stopping; attempt++) {
    await sleep(Math.min(30_000, 500 * 2 ** attempt));
    if (run.stopping) break;
    try {
      run.current = await startConsumer(run);
      // stop() came while this consumer was starting: it disconnected the crashed one.
      if (run.stopping) await run.current.consumer.disconnect();
      else run.deps.logger.warn("event consumer restarted after a crash", { groupId, attempt });
      break;
    } catch (err) {
      run.deps.logger.warn("event consumer restart failed", {
        groupId,
        attempt,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
  run.recovering = false;
}

async function handleBatch(
  linger: FetchLinger,
  payload: EachBatchPayload,
  baseContext: Omit<DeliveryContext, "backoff">,
) {
  const commitHandled = () =>
    payload.commitOffsetsIfNecessary(payload.uncommittedOffsets()).catch(() => undefined);
  try {
    await deliverBatchOf(payload, baseContext);
  } catch (err) {
    // A rebalance shows as a heartbeat that throws: what was handled is committed first.
    await commitHandled();
    throw err;
  }
  // Stopping: the group is left once this batch returns.
  if (!payload.isRunning()) await commitHandled();
  else await linger.afterBatch(payload.batch.messages.length);
}

async function deliverBatchOf(payload: EachBatchPayload, baseContext: Omit<DeliveryContext, "backoff">) {
  const { batch } = payload;
  const active = (): boolean => payload.isRunning() && !payload.isStale();
  const context: DeliveryContext = {
    ...baseContext,
    backoff: async (ms) => {
      for (let left = ms; left > 0; left -= HEARTBEAT_DURING_BACKOFF_MS) {
        if (!active()) return false;
        await sleep(Math.min(left, HEARTBEAT_DURING_BACKOFF_MS));
        await payload.heartbeat();
      }
      return active();
    },
  };
  if (context.batchHandler) return handleInRuns(payload, context, active);
  for (const message of batch.messages) {
    if (!active()) return;
    const outcome = await deliver(toStoredMessage(batch.topic, batch.partition, message), context);
    if (outcome === "abandoned") return;
    payload.resolveOffset(message.offset);
    await payload.commitOffsetsIfNecessary();
    await payload.heartbeat();
  }
}

/** The batch handler's way: runs of up to MAX_BATCH_MESSAGES, committed run by run. */
async function handleInRuns(payload: EachBatchPayload, context: DeliveryContext, active: () => boolean) {
  const { batch } = payload;
  for (let from = 0; from < batch.messages.length; from += MAX_BATCH_MESSAGES) {
    if (!active()) return;
    const run = batch.messages.slice(from, from + MAX_BATCH_MESSAGES);
    const outcome = await deliverBatch(
      run.map((message) => toStoredMessage(batch.topic, batch.partition, message)),
      context,
    );
    const last = run[outcome.handled - 1];
    if (last) payload.resolveOffset(last.offset);
    await payload.commitOffsetsIfNecessary();
    if (outcome.abandoned) return;
    await payload.heartbeat();
  }
}

/** A fetched kafkajs message as the bus stores it: string key, bytes, string headers. */
export function toStoredMessage(topic: string, partition: number, message: KafkaMessage): StoredMessage {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) headers[name] = first.toString();
  }
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString() ?? "",
    value: message.value,
    headers,
  };
}

/**
 * `ready` resolves when the consumer has joined its group. A group that starts at the latest
 * offset first commits the end of each partition it was given and that has no committed offset
 * yet, so a rebalance before the first message cannot skip messages published after `ready`.
 */
function watchGroupJoin(
  consumer: Consumer,
  deps: KafkaSubscriptionDeps,
  options: SubscribeOptions,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const assignment = event.payload.memberAssignment;
      const pinned = options.fromBeginning
        ? Promise.resolve()
        : commitEndWhereUncommitted(consumer, deps, options.groupId, assignment);
      void pinned
        .catch((err: unknown) =>
          deps.logger.warn("could not pin the start offsets of a new consumer group", {
            groupId: options.groupId,
            error: err instanceof Error ? err.message : String(err),
          }),
        )
        .then(() => {
          joined = true;
          resolve();
        });
    });
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      deps.logger.error("event consumer crashed", {
        groupId: options.groupId,
        restart,
        error: error.message,
      });
      if (!joined && !restart) reject(error);
    });
  });
}

async function commitEndWhereUncommitted(
  consumer: Consumer,
  deps: KafkaSubscriptionDeps,
  groupId: string,
  assignment: Record<string, number[]>,
): Promise<void> {
  const topics = Object.keys(assignment).filter((topic) => (assignment[topic] ?? []).length > 0);
  if (topics.length === 0) return;
  const admin = await deps.admin();
  const committed = await admin.fetchOffsets({ groupId, topics });
  const toCommit: Array<{ topic: string; partition: number; offset: string }> = [];
  for (const { topic, partitions } of committed) {
    const mine = new Set(assignment[topic] ?? []);
    const uncommitted = partitions.filter((p) => mine.has(p.partition) && Number(p.offset) < 0);
    if (uncommitted.length === 0) continue;
    const ends = await admin.fetchTopicOffsets(topic);
    for (const { partition } of uncommitted) {
      const end = ends.find((e) => e.partition === partition);
      if (end) toCommit.push({ topic, partition, offset: end.offset });
    }
  }
  if (toCommit.length > 0) await consumer.commitOffsets(toCommit);
}
