/**
 * The EventBus contract against the in-process bus, plus what only the in-process bus has.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createMemoryBus } from "@platform/bus/memory";
import { busContract, type BusFixtureFactory } from "./bus.contract";
import { processorContract } from "./processor.contract";
import { collector, envelopeFor, eventually } from "./bus-fixtures";

const memoryFixture: BusFixtureFactory = async () => {
  const bus = createMemoryBus();
  return {
    bus,
    readRaw: async (topic, count) => {
      await eventually(() => bus.records(topic).length >= count, 10_000);
      return bus.records(topic);
    },
    cleanup: () => bus.close(),
  };
};

busContract("in-process", memoryFixture, { concurrency: 4 });
processorContract("in-process", memoryFixture);

describe("in-process bus", () => {
  it("never runs a handler inside publish", async () => {
    const bus = createMemoryBus();
    await bus.ensureTopics([{ name: "sync", partitions: 1 }]);
    const got = collector();
    const sub = await bus.subscribe({ groupId: "g", topics: ["sync"], handler: got.handler });
    await sub.ready;
    const publishing = bus.publish("sync", envelopeFor("ver-sync", 0));
    assert.equal(got.messages.length, 0);
    await publishing;
    assert.equal(got.messages.length, 0, "delivered only on a later turn of the event loop");
    await eventually(() => got.messages.length === 1);
    await bus.close();
  });

  it("refuses topics that were not created", async () => {
    const bus = createMemoryBus();
    await assert.rejects(bus.publish("missing", envelopeFor("ver-missing", 0)), {
      code: "OTP_FAILED_PRECONDITION",
    });
    await assert.rejects(
      bus.subscribe({ groupId: "g", topics: ["missing"], handler: async () => undefined }),
      {
        code: "OTP_FAILED_PRECONDITION",
      },
    );
    await bus.close();
  });

  it("drops the oldest records beyond the retention bound; a new group starts at the oldest kept", async () => {
    const bus = createMemoryBus({ maxRecordsPerPartition: 3 });
    await bus.ensureTopics([{ name: "bounded", partitions: 1 }]);
    for (let seq = 0; seq < 5; seq++) await bus.publish("bounded", envelopeFor("ver-bounded", seq));
    assert.deepEqual(
      bus.records("bounded").map((r) => r.offset),
      ["2", "3", "4"],
    );
    const got = collector();
    await bus.subscribe({ groupId: "late", topics: ["bounded"], handler: got.handler, fromBeginning: true });
    await eventually(() => got.messages.length === 3);
    assert.deepEqual(
      got.messages.map((m) => m.offset),
      ["2", "3", "4"],
    );
    await bus.close();
  });

  it("rejects use after close", async () => {
    const bus = createMemoryBus();
    await bus.ensureTopics([{ name: "closing", partitions: 1 }]);
    await bus.close();
    await assert.rejects(bus.publish("closing", envelopeFor("ver-closed", 0)), {
      code: "OTP_FAILED_PRECONDITION",
    });
  });
});
