/**
 * The whole platform on a three-broker Kafka cluster and a Redis Cluster of three masters with
 * one replica each, as deploy/ runs it: topics with replication factor 3 and min ISR 2, producers
 * with acks=all, the store through the ioredis Cluster client, and checks that wait for a replica
 * (REDIS_REPLICA_ACKS=1). For the failover tests; each file owns its clusters.
 */
import { type KafkaCluster, startKafkaCluster } from "../harness/kafka-cluster";
import { type RedisCluster, startRedisCluster } from "../harness/redis-cluster";
import { type FaultStackOptions, type PlatformStack, startPlatformStack } from "./fault-stack";

export interface ClusterStack extends PlatformStack {
  kafkaCluster: KafkaCluster;
  redisCluster: RedisCluster;
}

export async function startClusterStack(
  label: string,
  options: FaultStackOptions = {},
): Promise<ClusterStack> {
  const logDir = process.env.FAULT_TEST_LOGS;
  const [kafka, redis] = await Promise.allSettled([
    startKafkaCluster({ size: 3, ...(logDir ? { logDir } : {}) }),
    startRedisCluster(3, 1),
  ]);
  if (kafka.status === "rejected" || redis.status === "rejected") {
    if (kafka.status === "fulfilled") await kafka.value.stop();
    if (redis.status === "fulfilled") await redis.value.stop();
    throw kafka.status === "rejected" ? kafka.reason : (redis as PromiseRejectedResult).reason;
  }
  const kafkaCluster = kafka.value;
  const redisCluster = redis.value;
  const platform = await startPlatformStack(
    label,
    {
      brokers: kafkaCluster.brokers,
      redisUrl: redisCluster.url,
      env: { REDIS_REPLICA_ACKS: "1" },
      stop: async () => {
        await Promise.allSettled([kafkaCluster.stop(), redisCluster.stop()]);
      },
    },
    options,
  );
  return { ...platform, kafkaCluster, redisCluster };
}
