/**
 * One Kafka transaction of a partition processor's commit group (commit-groups.ts): records
 * (events, changelog, dead letters) and the next input offset of each partition of the group
 * that moved, committed together or not at all.
 *
 * The coordinator finishes a commit after answering it (it writes the markers) and refuses the
 * next transaction's first step until then with CONCURRENT_TRANSACTIONS, which the broker
 * expects clients to retry; kafkajs does not for every step, so a refused transaction is
 * aborted and tried again after a short backoff.
 */
import type { Producer } from "kafkajs";
import type { OutRecord } from "./task-feed";

const ACKS_ALL = -1;
const CONCURRENT_RETRIES = 8;

export interface TransactionScope {
  /** The consumer group whose offset commits with the records. */
  groupId: string;
  /** The input topic. */
  topic: string;
  /** The input offsets to commit, per partition; none for a transaction of timers' output alone. */
  offsets: ReadonlyArray<{ partition: number; next: bigint }>;
  /** Fault-injection seam for tests: after the records and offsets, before the commit. */
  beforeCommit?: () => void;
}

export async function writeTransaction(
  producer: Producer,
  records: OutRecord[],
  scope: TransactionScope,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await writeOnce(producer, records, scope);
    } catch (err) {
      if (!isConcurrentTransactions(err) || attempt >= CONCURRENT_RETRIES) throw err;
      await new Promise((resolve) => setTimeout(resolve, 5 * 2 ** attempt));
    }
  }
}

async function writeOnce(producer: Producer, records: OutRecord[], scope: TransactionScope): Promise<void> {
  const txn = await producer.transaction();
  try {
    if (records.length > 0) {
      await txn.sendBatch({ acks: ACKS_ALL, topicMessages: byTopic(records) });
    }
    if (scope.offsets.length > 0) {
      await txn.sendOffsets({
        consumerGroupId: scope.groupId,
        topics: [
          {
            topic: scope.topic,
            partitions: scope.offsets.map((o) => ({ partition: o.partition, offset: String(o.next) })),
          },
        ],
      });
    }
    if (records.length > 0) scope.beforeCommit?.();
    await txn.commit();
  } catch (err) {
    await txn.abort().catch(() => undefined);
    throw err;
  }
}

function byTopic(records: OutRecord[]) {
  const grouped = new Map<string, OutRecord[]>();
  for (const r of records) {
    const list = grouped.get(r.topic);
    if (list) list.push(r);
    else grouped.set(r.topic, [r]);
  }
  return [...grouped].map(([topic, rs]) => ({
    topic,
    messages: rs.map((r) => ({
      key: r.message.key,
      value:
        r.message.value === null
          ? null
          : Buffer.from(r.message.value.buffer, r.message.value.byteOffset, r.message.value.byteLength),
      headers: r.message.headers,
      ...(r.partition === undefined ? {} : { partition: r.partition }),
    })),
  }));
}

/** Whether kafkajs failed with CONCURRENT_TRANSACTIONS, directly or after its own retries. */
function isConcurrentTransactions(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    const found = e as { type?: unknown; originalError?: unknown; cause?: unknown };
    if (found.type === "CONCURRENT_TRANSACTIONS") return true;
    e = found.originalError ?? found.cause;
  }
  return false;
}
