/**
 * Transactional producers that remember their coordinators.
 *
 * kafkajs 2.2.4 (pinned; unmaintained since 2023) sends FindCoordinator before every step of a
 * transaction — AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit (twice: the transaction's
 * and the group's coordinator) and EndTxn — so four of a transaction's nine requests only ask
 * where the coordinator is, and the answer never changes while the broker holding it lives.
 * A producer made here asks once per coordinator and remembers the answer for its lifetime.
 *
 * When a coordinator moves, the next step fails (NOT_COORDINATOR, or the broker is gone); the
 * answer is forgotten at once, and the partition processor, whose commit failed, drops the
 * producer and restores the partition with a new one (kafka-processor.ts), so a stale answer
 * costs one restore, never a wrong write: the coordinator itself refuses what is not its own.
 *
 * kafkajs gives no public hook for this; the cluster a producer talks through is made by a
 * private factory on the client, wrapped here for the one synchronous call that makes the
 * producer. If that factory is not found (another kafkajs), producers are made as usual.
 */
import type { Kafka, Producer, ProducerConfig } from "kafkajs";

interface CoordinatorQuery {
  groupId: string;
  coordinatorType?: number;
}

interface ClusterInternals {
  findGroupCoordinator(query: CoordinatorQuery): Promise<unknown>;
  findGroupCoordinatorMetadata(query: CoordinatorQuery): Promise<unknown>;
}

type CreateCluster = (options: unknown) => ClusterInternals;

const CREATE_CLUSTER = "private:Kafka:createCluster";

/** A producer (transactional or not) whose cluster remembers coordinator lookups. */
export function producerWithCoordinatorCache(kafka: Kafka, config: ProducerConfig): Producer {
  const holder = kafka as unknown as Record<symbol, unknown>;
  const key = Object.getOwnPropertySymbols(holder).find((s) => s.description === CREATE_CLUSTER);
  const create = key === undefined ? undefined : holder[key];
  if (key === undefined || typeof create !== "function") return kafka.producer(config);
  holder[key] = (options: unknown) => rememberCoordinators((create as CreateCluster)(options));
  try {
    return kafka.producer(config);
  } finally {
    holder[key] = create;
  }
}

function rememberCoordinators(cluster: ClusterInternals): ClusterInternals {
  const known = new Map<string, Promise<unknown>>();
  const keyOf = (q: CoordinatorQuery) => `${q.coordinatorType ?? 0}:${q.groupId}`;
  const lookup = cluster.findGroupCoordinatorMetadata.bind(cluster);
  const find = cluster.findGroupCoordinator.bind(cluster);
  cluster.findGroupCoordinatorMetadata = (query) => {
    const key = keyOf(query);
    let answer = known.get(key);
    if (!answer) {
      answer = lookup(query);
      known.set(key, answer);
      answer.catch(() => known.delete(key));
    }
    return answer;
  };
  cluster.findGroupCoordinator = async (query) => {
    try {
      return await find(query);
    } catch (err) {
      known.delete(keyOf(query));
      throw err;
    }
  };
  return cluster;
}
