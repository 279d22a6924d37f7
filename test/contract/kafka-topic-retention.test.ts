/** Event retention is configurable: topics the bus creates carry retention.ms on the real broker. */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { ConfigResourceTypes, Kafka, logLevel } from "kafkajs";
import { createKafkaBus } from "@platform/bus/kafka";
import { topicNames, topicSpecs } from "@platform/bus/topics";
import { testKafkaSecurity } from "../support/kafka-security";

describe("Kafka topic retention", () => {
  it("creates the lifecycle topics with the configured retention", async () => {
    const brokers = process.env.KAFKA_BROKERS;
    assert.ok(brokers, "KAFKA_BROKERS is not set: run through `npm test`");
    const names = topicNames(`ret-${randomUUID().slice(0, 8)}.`);
    const bus = createKafkaBus({ brokers, clientId: "retention-test", kafkaConfig: testKafkaSecurity() });
    const admin = new Kafka({
      brokers: brokers.split(","),
      clientId: "retention-check",
      logLevel: logLevel.NOTHING,
      ...testKafkaSecurity(),
    }).admin();
    try {
      await bus.ensureTopics(topicSpecs(names, 2, 6 * 3_600_000));
      await admin.connect();
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: names.verifications, configNames: ["retention.ms"] },
        ],
      });
      const entry = described.resources[0]?.configEntries.find((e) => e.configName === "retention.ms");
      assert.equal(entry?.configValue, String(6 * 3_600_000));
      await admin.deleteTopics({ topics: [names.verifications, names.routing] });
    } finally {
      await admin.disconnect();
      await bus.close();
    }
  });
});
