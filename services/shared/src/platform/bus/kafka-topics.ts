/**
 * Topic creation for the Kafka bus: idempotent, safe to call from several processes at once,
 * and finished only when every partition has a leader the broker we talk to knows about.
 */
import type { Admin } from "kafkajs";
import { setTimeout as sleep } from "node:timers/promises";
import type { TopicSpec } from "./port";

export interface TopicDefaults {
  defaultPartitions: number;
  /** Defaults to min(3, brokers in the cluster). */
  replicationFactor: number | undefined;
}

const LEADER_WAIT_MS = 30_000;
const LEADER_POLL_MS = 100;
const LIST_ATTEMPTS = 5;
const LIST_RETRY_MS = 250;

export async function ensureKafkaTopics(
  admin: Admin,
  topics: TopicSpec[],
  defaults: TopicDefaults,
): Promise<void> {
  if (topics.length === 0) return;
  const existing = new Set(await listTopics(admin));
  const missing = [...new Map(topics.filter((t) => !existing.has(t.name)).map((t) => [t.name, t])).values()];
  if (missing.length > 0) {
    const replicationFactor =
      defaults.replicationFactor ?? Math.min(3, (await admin.describeCluster()).brokers.length);
    // With three replicas, a write acknowledged by "all" must be on at least two of them.
    const durability = replicationFactor >= 3 ? [{ name: "min.insync.replicas", value: "2" }] : [];
    // Resolves false when another process created them first: fine.
    await admin.createTopics({
      // kafkajs's own wait gives up on UNKNOWN_TOPIC_OR_PARTITION while metadata propagates.
      waitForLeaders: false,
      topics: missing.map((t) => ({
        topic: t.name,
        numPartitions: t.partitions ?? defaults.defaultPartitions,
        replicationFactor,
        configEntries: [
          ...durability,
          ...(t.retentionMs === undefined ? [] : [{ name: "retention.ms", value: String(t.retentionMs) }]),
          ...(t.compacted ? [{ name: "cleanup.policy", value: "compact" }] : []),
        ],
      })),
    });
  }
  // Also for topics that already existed: a concurrent creator may not have finished.
  await waitForLeaders(
    admin,
    topics.map((t) => t.name),
  );
}

/**
 * The topic names, asked again for a moment when the answer fails: while its connections to a
 * broker that just came back are broken, kafkajs's listTopics throws a TypeError (its metadata
 * call finds no broker and answers null) instead of a retriable error.
 */
async function listTopics(admin: Admin): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await admin.listTopics();
    } catch (err) {
      if (attempt >= LIST_ATTEMPTS) throw err;
      await sleep(LIST_RETRY_MS * attempt);
    }
  }
}

async function waitForLeaders(admin: Admin, names: string[]): Promise<void> {
  const deadline = Date.now() + LEADER_WAIT_MS;
  for (;;) {
    let problem: string;
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: names });
      const leaderless = topics.filter(
        (t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0),
      );
      if (leaderless.length === 0) return;
      problem = `no leader yet for ${leaderless.map((t) => t.name).join(", ")}`;
    } catch (err) {
      // UNKNOWN_TOPIC_OR_PARTITION / LEADER_NOT_AVAILABLE until the new topic's metadata arrives.
      problem = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) throw new Error(`topics not ready within ${LEADER_WAIT_MS} ms: ${problem}`);
    await sleep(LEADER_POLL_MS);
  }
}
