/**
 * What a new owner of a partition reads before it serves it (kafka-processor.ts): first its
 * commit group's transactional producer, set up and fenced; then, and only then, the group's
 * committed offset, the input's end and the state from the standby copy of the changelog.
 */
import type { Admin, Kafka, Producer } from "kafkajs";
import type { ChangelogStandby } from "./kafka-changelog";
import { producerWithCoordinatorCache } from "./kafka-coordinator-cache";
import { commitGroupTransactionalId } from "./commit-groups";
import type { CommitGroup } from "./partition-owner";

/** Where a processor's producers and reads point. */
export interface PartitionSource {
  kafka: Kafka;
  admin: Admin;
  standby: ChangelogStandby;
  groupId: string;
  topic: string;
  changelogTopic: string;
  partitionsPerCommit: number;
}

/** A partition as the log describes it at the moment of the restore. */
export interface RestoredPartition {
  /** The group's committed offset (undefined: none yet), and where inputs start again. */
  committed: bigint | undefined;
  next: bigint;
  /** The input partition's end. */
  inputEnd: bigint;
  /** The latest changelog value of each key. */
  state: Map<string, Uint8Array>;
}

/** The group's producer, made and fenced once per ownership (again after a failed commit). */
export function groupProducer(source: PartitionSource, group: CommitGroup): Promise<Producer> {
  const { groupId, topic, partitionsPerCommit } = source;
  return (group.fencing ??= (async () => {
    group.committedSinceFence = false;
    await group.producer?.disconnect().catch(() => undefined);
    const producer = producerWithCoordinatorCache(source.kafka, {
      transactionalId: commitGroupTransactionalId(groupId, topic, partitionsPerCommit, group.index),
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Short first retries: CONCURRENT_TRANSACTIONS clears within milliseconds.
      retry: { initialRetryTime: 10, retries: 8 },
    });
    group.producer = producer;
    await producer.connect(); // an idempotent producer id only: this fences nobody
    await fence(producer);
    return producer;
  })().catch((err: unknown) => {
    group.fencing = undefined;
    throw err;
  }));
}

/**
 * The transactional InitProducerId, which kafkajs sends only at a producer's first
 * transaction(): it bumps the id's epoch, so the previous owner's producer can commit nothing
 * more; aborts a transaction it left open; and is answered CONCURRENT_TRANSACTIONS (retried)
 * until one it had prepared to commit is complete, its markers written. Only then may a restore
 * read the committed offsets and the changelog's end: before it, a commit left in doubt (a
 * broker killed between PREPARE_COMMIT and its markers) could complete after the restore had
 * read the state without it, and the same input be decided twice. The empty transaction is
 * aborted without a request (nothing was added to it).
 */
async function fence(producer: Producer): Promise<void> {
  const empty = await producer.transaction();
  await empty.abort();
}

/** Fences the partition's commit group, then reads its offsets and its state. */
export async function readPartition(
  source: PartitionSource,
  group: CommitGroup,
  partition: number,
): Promise<RestoredPartition> {
  const { admin, topic, changelogTopic } = source;
  await groupProducer(source, group);
  const committed = await committedOffset(admin, source.groupId, topic, partition);
  const inputEnd = BigInt(
    (await admin.fetchTopicOffsets(topic)).find((o) => o.partition === partition)?.high ?? 0,
  );
  const bounds = (await admin.fetchTopicOffsets(changelogTopic)).find((o) => o.partition === partition);
  const state = await source.standby.restore(partition, BigInt(bounds?.low ?? 0), BigInt(bounds?.high ?? 0));
  // Without a committed offset, inputs start at the partition's end.
  return { committed, next: committed ?? inputEnd, inputEnd, state };
}

/** The group's committed offset of a partition; undefined when none is committed yet. */
async function committedOffset(
  admin: Admin,
  groupId: string,
  topic: string,
  partition: number,
): Promise<bigint | undefined> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const found = offsets?.partitions.find((p) => p.partition === partition);
  return found && Number(found.offset) >= 0 ? BigInt(found.offset) : undefined;
}
