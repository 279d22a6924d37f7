/**
 * The EventBus contract against a real Kafka broker (KAFKA_BROKERS; `npm test` starts one),
 * plus proof that the bytes really went through the broker, read back with a plain kafkajs
 * consumer.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { Kafka, logLevel } from "kafkajs";
import { EventEnvelope } from "@proto/otp/events/v1/events";
import { createKafkaBus } from "@platform/bus/kafka";
import { encodeEnvelope } from "@platform/bus/codec";
import { commitGroupTransactionalId, DEFAULT_PARTITIONS_PER_COMMIT } from "@platform/bus/commit-groups";
import type { OutgoingMessage } from "@platform/bus/port";
import type { ProcessOptions } from "@platform/bus/processor-port";
import { busContract, type BusFixtureFactory } from "./bus.contract";
import { processorContract } from "./processor.contract";
import { envelopeFor, eventually } from "./bus-fixtures";
import { deleteByPrefix, readRaw } from "./kafka-fixtures";
import { testKafkaSecurity } from "../support/kafka-security";

const brokers = process.env.KAFKA_BROKERS;

if (!brokers) {
  it("needs a Kafka broker", () => {
    assert.fail("KAFKA_BROKERS is not set: run `npm test`, or start a broker and export KAFKA_BROKERS");
  });
} else {
  const kafka = new Kafka({
    clientId: "bus-contract-tools",
    brokers: brokers.split(","),
    logLevel: logLevel.NOTHING,
    ...testKafkaSecurity(),
  });

  const kafkaFixture: BusFixtureFactory = async ({ prefix }) => {
    const bus = createKafkaBus({ brokers, clientId: prefix, kafkaConfig: testKafkaSecurity() });
    return {
      bus,
      readRaw: (topic, count) => readRaw(kafka, topic, count, `${prefix}-raw-${randomUUID().slice(0, 6)}`),
      cleanup: async () => {
        await bus.close();
        await deleteByPrefix(kafka, prefix);
      },
    };
  };
  busContract("Kafka", kafkaFixture, { concurrency: 3 });
  processorContract("Kafka", kafkaFixture);

  describe("Kafka processor fencing", () => {
    it("fences the previous owner's open transaction before the new owner restores", async () => {
      const prefix = `fence-${randomUUID().slice(0, 8)}`;
      const names = { input: `${prefix}-in`, changelog: `${prefix}-changelog`, out: `${prefix}-out` };
      const group = `${prefix}-g`;
      const bus = createKafkaBus({ brokers, clientId: prefix, kafkaConfig: testKafkaSecurity() });
      const options: ProcessOptions = {
        groupId: group,
        topic: names.input,
        changelogTopic: names.changelog,
        // One output per input, so each input commits in a transaction of its own.
        createTask: () => {
          let messages: OutgoingMessage[] = [];
          return {
            handle: (m) => void messages.push({ topic: names.out, key: m.key, envelope: m.envelope }),
            nextDueAt: () => undefined,
            fire: () => undefined,
            drain: () => {
              const drained = messages;
              messages = [];
              return { messages: drained, changelog: [] };
            },
            close: () => undefined,
          };
        },
      };
      // A previous owner of commit group 0 that still holds an open transaction (a zombie, or a
      // commit left in doubt): what it wrote must never commit after the new owner has read.
      const zombie = kafka.producer({
        transactionalId: commitGroupTransactionalId(group, names.input, DEFAULT_PARTITIONS_PER_COMMIT, 0),
        idempotent: true,
        maxInFlightRequests: 1,
      });
      try {
        await bus.ensureTopics([
          { name: names.input, partitions: DEFAULT_PARTITIONS_PER_COMMIT },
          { name: names.changelog, partitions: DEFAULT_PARTITIONS_PER_COMMIT, compacted: true },
          { name: names.out, partitions: 1 },
        ]);
        // The group's offsets committed once, so the next owner has nothing to commit at start.
        const first = await bus.process(options);
        await first.ready;
        await bus.publish(names.input, envelopeFor("ver-fence", 0));
        await readRaw(kafka, names.out, 1, `${prefix}-raw-1`);
        await first.stop();

        await zombie.connect();
        const open = await zombie.transaction();
        await open.send({ topic: names.out, messages: [{ key: "zombie", value: "late" }] });
        const next = await bus.process(options);
        try {
          await next.ready; // every partition restored: the new owner has read the state
          await assert.rejects(open.commit(), "the previous owner's transaction is fenced");
        } finally {
          await next.stop();
        }
      } finally {
        await zombie.disconnect().catch(() => undefined);
        await bus.close();
        await deleteByPrefix(kafka, prefix);
      }
    });
  });

  describe("Kafka transactions seen by a subscriber", () => {
    it("never hands over a record of an aborted transaction, when two producers' aborted transactions overlap", async () => {
      const prefix = `aborted-${randomUUID().slice(0, 8)}`;
      const topic = `${prefix}-events`;
      const bus = createKafkaBus({ brokers, clientId: prefix, kafkaConfig: testKafkaSecurity() });
      const transactional = (name: string) =>
        kafka.producer({ transactionalId: `${prefix}-${name}`, idempotent: true, maxInFlightRequests: 1 });
      const first = transactional("first");
      const second = transactional("second");
      const record = (verificationId: string) => {
        const raw = encodeEnvelope(envelopeFor(verificationId, 0), undefined, undefined);
        return { key: raw.key, value: Buffer.from(raw.value!), headers: raw.headers };
      };
      // The coordinator writes a transaction's markers after answering its end: this waits for them.
      const markersWritten = () => new Promise((resolve) => setTimeout(resolve, 500));
      try {
        await bus.ensureTopics([{ name: topic, partitions: 1 }]);
        await Promise.all([first.connect(), second.connect()]);
        // The first producer's transaction begins, the second's begins after it and is aborted
        // first; the first's is aborted later. The broker lists them in the order they ended.
        const one = await first.transaction();
        await one.send({ topic, acks: -1, messages: [record("ver-aborted-1")] });
        const two = await second.transaction();
        await two.send({ topic, acks: -1, messages: [record("ver-aborted-2")] });
        await two.abort();
        await markersWritten();
        await one.send({ topic, acks: -1, messages: [record("ver-aborted-3")] });
        await one.abort();
        await markersWritten();
        const three = await second.transaction();
        await three.send({ topic, acks: -1, messages: [record("ver-committed")] });
        await three.commit();

        const seen: string[] = [];
        const subscription = await bus.subscribe({
          groupId: `${prefix}-reader`,
          topics: [topic],
          fromBeginning: true,
          handler: async (m) => void seen.push(m.envelope.verificationId),
        });
        try {
          await eventually(() => seen.includes("ver-committed"));
          assert.deepEqual(seen, ["ver-committed"]);
        } finally {
          await subscription.stop();
        }
      } finally {
        await Promise.all([first.disconnect(), second.disconnect()]).catch(() => undefined);
        await bus.close();
        await deleteByPrefix(kafka, prefix);
      }
    });
  });

  describe("Kafka bus on the wire", () => {
    it("writes protobuf envelopes with their headers to the broker", async () => {
      const prefix = `wire-${randomUUID().slice(0, 8)}`;
      const topic = `${prefix}-events`;
      const bus = createKafkaBus({ brokers, clientId: prefix, kafkaConfig: testKafkaSecurity() });
      try {
        await bus.ensureTopics([{ name: topic, partitions: 2 }]);
        const sent = [
          envelopeFor("ver-wire-1", 0),
          envelopeFor("ver-wire-2", 0),
          envelopeFor("ver-wire-1", 1),
        ];
        for (const envelope of sent) await bus.publish(topic, envelope);

        const records = await readRaw(kafka, topic, sent.length, `${prefix}-reader`);
        const decoded = records.map((r) => EventEnvelope.decode(r.value!));
        assert.deepEqual(decoded.map((e) => e.eventId).sort(), sent.map((e) => e.eventId).sort());
        for (const record of records) {
          assert.equal(record.key, EventEnvelope.decode(record.value!).verificationId);
          assert.equal(record.headers["otp-event-type"], "dispatchRequested");
          assert.equal(record.headers["otp-schema-version"], "1");
        }
        const partitionsOf = (key: string) =>
          new Set(records.filter((r) => r.key === key).map((r) => r.partition));
        assert.equal(partitionsOf("ver-wire-1").size, 1);

        const admin = kafka.admin();
        await admin.connect();
        try {
          const [described] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
          assert.equal(described?.partitions.length, 2);
        } finally {
          await admin.disconnect();
        }
      } finally {
        await bus.close();
        await deleteByPrefix(kafka, prefix);
      }
    });
  });
}
