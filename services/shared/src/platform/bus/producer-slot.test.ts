import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createProducerSlot } from "./producer-slot";

/** A stand-in for a kafkajs producer: what the slot does with it is all that is tested here. */
function fakeProducer(id: number) {
  return {
    id,
    connects: 0,
    disconnects: 0,
    failConnect: false,
    async connect() {
      this.connects++;
      if (this.failConnect) throw new Error("broker down");
    },
    async disconnect() {
      this.disconnects++;
    },
  };
}

type Fake = ReturnType<typeof fakeProducer>;

function slotOfFakes() {
  const made: Fake[] = [];
  const replacedBy: unknown[] = [];
  const slot = createProducerSlot(
    () => {
      const p = fakeProducer(made.length + 1);
      made.push(p);
      return p;
    },
    (err) => replacedBy.push(err),
  );
  return { slot, made, replacedBy };
}

const outOfOrder = new Error("The broker received an out of order sequence number");

describe("producer slot", () => {
  it("writes through one producer, connected once, while writes succeed", async () => {
    const { slot, made } = slotOfFakes();
    const used = await Promise.all([1, 2, 3].map(() => slot.write(async (p) => p.id)));
    assert.deepEqual(used, [1, 1, 1]);
    assert.equal(made.length, 1);
    assert.equal(made[0]!.connects, 1);
    assert.equal(slot.replaced, 0);
  });

  it("a failed write retires its producer: the next write gets a new one", async () => {
    const { slot, made, replacedBy } = slotOfFakes();
    await assert.rejects(
      slot.write(async () => {
        throw outOfOrder;
      }),
      outOfOrder,
    );
    assert.equal(made[0]!.disconnects, 1, "the old producer is disconnected");
    assert.equal(await slot.write(async (p) => p.id), 2);
    assert.equal(made[1]!.connects, 1);
    assert.equal(slot.replaced, 1);
    assert.deepEqual(replacedBy, [outOfOrder]);
  });

  it("writes that failed together on one producer replace it once", async () => {
    const { slot, made } = slotOfFakes();
    await slot.write(async () => undefined);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const failing = [1, 2, 3].map(() =>
      slot.write(async () => {
        await gate;
        throw outOfOrder;
      }),
    );
    release();
    for (const write of failing) await assert.rejects(write);
    assert.equal(made.length, 2);
    assert.equal(slot.replaced, 1);
  });

  it("a failed connect is not a failed write: the same producer connects again", async () => {
    const { slot, made } = slotOfFakes();
    made[0]!.failConnect = true;
    await assert.rejects(
      slot.write(async (p) => p.id),
      /broker down/,
    );
    made[0]!.failConnect = false;
    assert.equal(await slot.write(async (p) => p.id), 1);
    assert.equal(made[0]!.connects, 2);
    assert.equal(slot.replaced, 0);
    await slot.close();
    assert.equal(made[0]!.disconnects, 1, "close disconnects the current producer");
  });
});
