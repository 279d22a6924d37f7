/**
 * Real Kafka and Redis for the gateway tests: KAFKA_BROKERS and REDIS_URL from the
 * environment (`npm test` starts both); missing ones fail the test. Each stack gets its own
 * topic prefix, consumer groups and key prefix, deleted afterwards.
 */
import { randomBytes } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { testKafkaSecurity } from "@test/support/kafka-security";

export interface Infra {
  brokers: string;
  redisUrl: string;
}

export function infraFromEnv(): Infra {
  const brokers = process.env.KAFKA_BROKERS;
  const redisUrl = process.env.REDIS_URL;
  if (!brokers || !redisUrl) {
    throw new Error("KAFKA_BROKERS and REDIS_URL must be set: run `npm test -- gateway-smpp` or export them");
  }
  return { brokers, redisUrl };
}

export function uniquePrefix(label: string): string {
  return `gw-${label}-${randomBytes(4).toString("hex")}`;
}

/** Deletes the topics and consumer groups whose names start with the prefix. */
export async function deleteKafkaPrefix(brokers: string, prefix: string): Promise<void> {
  const kafka = new Kafka({
    clientId: `${prefix}-cleanup`,
    brokers: brokers.split(","),
    logLevel: logLevel.NOTHING,
    ...testKafkaSecurity(),
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const groups = (await admin.listGroups()).groups
      .map((g) => g.groupId)
      .filter((g) => g.startsWith(prefix));
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}
