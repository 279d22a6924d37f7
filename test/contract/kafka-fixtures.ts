/**
 * What the Kafka runs of the contracts share: reading a topic back with a plain kafkajs consumer,
 * and deleting a test's topics and groups.
 */
import type { Kafka } from "kafkajs";
import type { StoredMessage } from "@platform/bus/codec";
import { eventually } from "./bus-fixtures";

/** Reads a topic from the beginning with a throwaway group until `count` records are seen. */
export async function readRaw(
  kafka: Kafka,
  topic: string,
  count: number,
  groupId: string,
): Promise<StoredMessage[]> {
  const records: StoredMessage[] = [];
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) {
          if (value !== undefined) headers[name] = (Array.isArray(value) ? value[0]! : value).toString();
        }
        records.push({
          topic,
          key: message.key?.toString() ?? "",
          value: message.value,
          headers,
          partition,
          offset: message.offset,
        });
      },
    });
    await eventually(() => records.length >= count);
  } finally {
    await consumer.disconnect();
  }
  return records.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
}

export async function deleteByPrefix(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    const groups = (await admin.listGroups()).groups
      .map((g) => g.groupId)
      .filter((g) => g.startsWith(prefix));
    if (groups.length > 0) await admin.deleteGroups(groups);
  } finally {
    await admin.disconnect();
  }
}
