/**
 * The stateful processor contract (EventBus.process), run against both adapters: partitions
 * owned by one member at a time, state restored from the changelog by the next owner, output
 * committed with the offsets it consumed (nothing handled twice across a takeover), timers that
 * come back with the state, and dead letters for inputs a task refuses.
 *
 * The task under test counts messages per key: its state is the count and a pending timer; each
 * input appends an output event carrying the key's new count, so a repeat or a loss shows as a
 * duplicated or missing count.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import type { RawPublisher, StoredMessage } from "@platform/bus/codec";
import { DLQ_HEADERS } from "@platform/bus/delivery";
import type { EventBus, OutgoingMessage } from "@platform/bus/port";
import type { PartitionTask, Processor } from "@platform/bus/processor-port";
import { envelopeFor, eventually } from "./bus-fixtures";
import type { BusFixtureFactory } from "./bus.contract";

interface Counted {
  count: number;
  /** When the key's timer is due (ms), 0 for none. */
  timerAt: number;
}

/** Two commit groups of the Kafka adapter's default four partitions each (commit-groups.ts). */
const PARTITIONS = 8;
const ALL_PARTITIONS = Array.from({ length: PARTITIONS }, (_, p) => p);

/** Seq 999 makes the task throw (a refused input). */
const POISON = 999;
/** Seq 500 is an input the task ignores: no output, no state change. */
const IGNORED = 500;
/** Seq 700 changes the key's state (its count) and emits nothing. */
const QUIET = 700;

function countingTask(out: string, timerMs: number, fired: string[], handled: number[] = []) {
  return (partition: number, restored: ReadonlyMap<string, Uint8Array>): PartitionTask => {
    const state = new Map<string, Counted>(
      [...restored].map(([key, value]) => [key, JSON.parse(Buffer.from(value).toString()) as Counted]),
    );
    let messages: OutgoingMessage[] = [];
    const dirty = new Set<string>();
    const emit = (key: string, seq: number) =>
      messages.push({ topic: out, key, envelope: envelopeFor(key, seq) });
    return {
      handle(message) {
        if (
          message.envelope.event?.$case === "dispatchRequested" &&
          message.envelope.event.value.attempt === POISON + 1
        )
          throw new Error("refused by the task");
        if (message.envelope.event?.$case === "dispatchRequested")
          handled.push(message.envelope.event.value.attempt - 1);
        if (
          message.envelope.event?.$case === "dispatchRequested" &&
          message.envelope.event.value.attempt === IGNORED + 1
        )
          return;
        const current = state.get(message.key) ?? { count: 0, timerAt: 0 };
        const next = { count: current.count + 1, timerAt: timerMs > 0 ? Date.now() + timerMs : 0 };
        state.set(message.key, next);
        dirty.add(message.key);
        if (
          message.envelope.event?.$case !== "dispatchRequested" ||
          message.envelope.event.value.attempt !== QUIET + 1
        )
          emit(message.key, next.count);
        void partition;
      },
      nextDueAt() {
        const due = [...state.values()].filter((s) => s.timerAt > 0).map((s) => s.timerAt);
        return due.length > 0 ? Math.min(...due) : undefined;
      },
      fire(now) {
        for (const [key, s] of state) {
          if (s.timerAt === 0 || s.timerAt > now) continue;
          state.set(key, { ...s, timerAt: 0 });
          dirty.add(key);
          emit(key, 10_000 + s.count);
        }
      },
      drain() {
        const changelog = [...dirty].map((key) => ({
          key,
          value: Buffer.from(JSON.stringify(state.get(key))),
        }));
        dirty.clear();
        const output = {
          messages,
          changelog,
          afterCommit: () => fired.push(...output.messages.map((m) => m.key ?? "")),
        };
        messages = [];
        return output;
      },
      close() {
        state.clear();
      },
    };
  };
}

function decodeSeq(m: StoredMessage): number {
  // envelopeFor puts the seq into the event id: "<key>/<seq>/<random>"
  const id = m.headers["otp-event-id"] ?? "";
  return Number(id.split("/")[1]);
}

export function processorContract(adapter: string, makeFixture: BusFixtureFactory): void {
  describe(`EventBus processor contract: ${adapter}`, { concurrency: 1 }, () => {
    ownershipCases(makeFixture);
    commitCases(makeFixture);
    rebalanceAndTimerCases(makeFixture);
    restoreOrderCases(makeFixture);
  });
}

/** A fresh bus with input, changelog and output topics, and processors on them. */
async function setup(makeFixture: BusFixtureFactory) {
  const prefix = `proc-${randomUUID().slice(0, 8)}`;
  const fx = await makeFixture({ prefix });
  const names = {
    input: `${prefix}-in`,
    changelog: `${prefix}-changelog`,
    out: `${prefix}-out`,
    group: `${prefix}-g`,
  };
  await fx.bus.ensureTopics([
    { name: names.input, partitions: PARTITIONS },
    { name: names.changelog, partitions: PARTITIONS, compacted: true },
    { name: names.out, partitions: 1 },
  ]);
  const processors: Processor[] = [];
  const start = async (timerMs = 0, fired: string[] = [], handled: number[] = []) => {
    const p = await fx.bus.process({
      groupId: names.group,
      topic: names.input,
      changelogTopic: names.changelog,
      createTask: countingTask(names.out, timerMs, fired, handled),
    });
    processors.push(p);
    await p.ready;
    return p;
  };
  const publish = async (bus: EventBus & RawPublisher, keys: string[], from: number, count: number) => {
    for (let i = 0; i < count; i++) {
      await bus.publishBatch(
        keys.map((key) => ({ topic: names.input, envelope: envelopeFor(key, from + i) })),
      );
    }
  };
  const outputs = async (count: number) => fx.readRaw(names.out, count);
  const cleanup = async () => {
    await Promise.allSettled(processors.map((p) => p.stop()));
    await fx.cleanup();
  };
  return { fx, names, start, publish, outputs, cleanup };
}

/** Owning partitions, committing output once, restoring on a new owner. */
function ownershipCases(makeFixture: BusFixtureFactory): void {
  it("owns every partition and commits each input's output once, in order per key", async () => {
    const t = await setup(makeFixture);
    try {
      const p = await t.start();
      assert.deepEqual(p.owned(), ALL_PARTITIONS);
      const keys = ["k-a", "k-b", "k-c", "k-d", "k-e"];
      await t.publish(t.fx.bus, keys, 0, 6);
      const out = await t.outputs(keys.length * 6);
      for (const key of keys) {
        assert.deepEqual(
          out.filter((m) => m.key === key).map(decodeSeq),
          [1, 2, 3, 4, 5, 6],
          `counts of ${key}`,
        );
      }
      await eventually(() => p.latest("k-c") !== undefined);
      assert.deepEqual(JSON.parse(Buffer.from(p.latest("k-c")!).toString()), { count: 6, timerAt: 0 });
    } finally {
      await t.cleanup();
    }
  });

  it("a new owner restores the state and continues where the last commit left off", async () => {
    const t = await setup(makeFixture);
    try {
      const first = await t.start();
      const keys = ["k-1", "k-2", "k-3"];
      await t.publish(t.fx.bus, keys, 0, 4);
      await t.outputs(12);
      await first.stop();
      const second = await t.start();
      assert.deepEqual(second.owned(), ALL_PARTITIONS);
      await t.publish(t.fx.bus, keys, 4, 3);
      const out = await t.outputs(21);
      for (const key of keys) {
        assert.deepEqual(out.filter((m) => m.key === key).map(decodeSeq), [1, 2, 3, 4, 5, 6, 7], key);
      }
    } finally {
      await t.cleanup();
    }
  });
}

/** What commits when: inputs that change nothing, changes of state alone. */
function commitCases(makeFixture: BusFixtureFactory): void {
  it("inputs that change nothing commit with later work or on release, and are not handled again", async () => {
    const t = await setup(makeFixture);
    try {
      const handled: number[] = [];
      const first = await t.start(0, [], handled);
      await t.fx.bus.publishBatch(
        [IGNORED, IGNORED, 0, IGNORED].map((seq) => ({
          topic: t.names.input,
          envelope: envelopeFor("k-i", seq),
        })),
      );
      await t.outputs(1);
      await eventually(() => handled.length === 4);
      await first.stop();
      await t.start(0, [], handled);
      await t.publish(t.fx.bus, ["k-i"], 1, 1);
      const out = await t.outputs(2);
      assert.deepEqual(out.map(decodeSeq), [1, 2]);
      assert.deepEqual(handled, [IGNORED, IGNORED, 0, IGNORED, 1], "each input handled once");
    } finally {
      await t.cleanup();
    }
  });

  it("a change of state that emits nothing commits by itself, and the next owner continues from it", async () => {
    const t = await setup(makeFixture);
    try {
      const handled: number[] = [];
      const first = await t.start(0, [], handled);
      await t.fx.bus.publishBatch(
        [QUIET, QUIET, QUIET].map((seq) => ({ topic: t.names.input, envelope: envelopeFor("k-q", seq) })),
      );
      // No later input carries it: the change commits on its own.
      await eventually(
        () =>
          first.latest("k-q") !== undefined &&
          JSON.parse(Buffer.from(first.latest("k-q")!).toString()).count === 3,
      );
      await first.stop();
      const second = await t.start(0, [], handled);
      assert.deepEqual(JSON.parse(Buffer.from(second.latest("k-q")!).toString()), { count: 3, timerAt: 0 });
      await t.publish(t.fx.bus, ["k-q"], 1, 1);
      const out = await t.outputs(1);
      assert.deepEqual(out.map(decodeSeq), [4], "the count went on from the committed state");
      assert.deepEqual(handled, [QUIET, QUIET, QUIET, 1], "each input handled once");
    } finally {
      await t.cleanup();
    }
  });
}

/** Rebalances under load, and timers that move with the state. */
function rebalanceAndTimerCases(makeFixture: BusFixtureFactory): void {
  it("two members split the partitions; a rebalance under load loses and repeats nothing", async () => {
    const t = await setup(makeFixture);
    try {
      const a = await t.start();
      const keys = Array.from({ length: 12 }, (_, i) => `k-${i}`);
      const writing = t.publish(t.fx.bus, keys, 0, 10);
      const b = await t.start();
      await writing;
      await eventually(
        () =>
          a.owned().length + b.owned().length === PARTITIONS && a.owned().length > 0 && b.owned().length > 0,
      );
      assert.equal(new Set([...a.owned(), ...b.owned()]).size, PARTITIONS, "each partition has one owner");
      const out = await t.outputs(120);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const settled = await t.outputs(120);
      const pairs = settled.map((m) => `${m.key}/${decodeSeq(m)}`);
      assert.equal(new Set(pairs).size, pairs.length, "no output written twice");
      for (const key of keys) {
        assert.deepEqual(
          out.filter((m) => m.key === key).map(decodeSeq),
          Array.from({ length: 10 }, (_, i) => i + 1),
          key,
        );
      }
    } finally {
      await t.cleanup();
    }
  });

  it("timers fire on the owner and come back with the state after a takeover", async () => {
    const t = await setup(makeFixture);
    try {
      const fired: string[] = [];
      const first = await t.start(60_000, fired);
      await t.publish(t.fx.bus, ["k-t"], 0, 1);
      await t.outputs(1);
      await eventually(() => first.latest("k-t") !== undefined);
      await first.stop();
      // The same state, its timer now due: the next owner fires it once.
      const restoredTimer = JSON.parse(Buffer.from(first.latest("k-t")!).toString()) as Counted;
      assert.ok(restoredTimer.timerAt > Date.now(), "the timer was pending when its owner stopped");
      const second = await t.fx.bus.process({
        groupId: t.names.group,
        topic: t.names.input,
        changelogTopic: t.names.changelog,
        createTask: (partition, restored) => {
          const shifted = new Map(
            [...restored].map(([k, v]) => {
              const s = JSON.parse(Buffer.from(v).toString()) as Counted;
              return [k, Buffer.from(JSON.stringify({ ...s, timerAt: s.timerAt > 0 ? Date.now() : 0 }))];
            }),
          );
          return countingTask(t.names.out, 60_000, fired)(partition, shifted);
        },
      });
      try {
        await second.ready;
        const out = await t.outputs(2);
        assert.deepEqual(out.map(decodeSeq), [1, 10_001]);
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal((await t.outputs(2)).length, 2, "the timer fired once");
        assert.deepEqual(fired, ["k-t", "k-t"], "afterCommit ran for the input and the timer");
      } finally {
        await second.stop();
      }
    } finally {
      await t.cleanup();
    }
  });
}

/** After a restore: the log before timers; refused inputs dead-lettered. */
function restoreOrderCases(makeFixture: BusFixtureFactory): void {
  it("a new owner handles what the log held at its restore before timers that fell due meanwhile", async () => {
    const t = await setup(makeFixture);
    try {
      const first = await t.start(60_000);
      await t.publish(t.fx.bus, ["k-h"], 0, 1);
      await t.outputs(1);
      await first.stop();
      // While nobody owns the partition, an input arrives (a receipt, say) and the timer falls due.
      await t.publish(t.fx.bus, ["k-h"], 1, 1);
      const second = await t.fx.bus.process({
        groupId: t.names.group,
        topic: t.names.input,
        changelogTopic: t.names.changelog,
        createTask: (partition, restored) => {
          const overdue = new Map(
            [...restored].map(([k, v]) => {
              const s = JSON.parse(Buffer.from(v).toString()) as Counted;
              return [k, Buffer.from(JSON.stringify({ ...s, timerAt: s.timerAt > 0 ? Date.now() : 0 }))];
            }),
          );
          return countingTask(t.names.out, 60_000, [])(partition, overdue);
        },
      });
      try {
        await second.ready;
        const out = await t.outputs(2);
        assert.deepEqual(out.map(decodeSeq), [1, 2], "the input first; it re-armed the timer");
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal((await t.outputs(2)).length, 2, "the stale timer did not fire");
      } finally {
        await second.stop();
      }
    } finally {
      await t.cleanup();
    }
  });

  it("an input the task refuses goes to the dead-letter topic and the partition moves on", async () => {
    const t = await setup(makeFixture);
    try {
      await t.start();
      await t.fx.bus.publishBatch([
        { topic: t.names.input, envelope: envelopeFor("k-p", 0) },
        { topic: t.names.input, envelope: envelopeFor("k-p", POISON) },
        { topic: t.names.input, envelope: envelopeFor("k-p", 1) },
      ]);
      const out = await t.outputs(2);
      assert.deepEqual(out.map(decodeSeq), [1, 2]);
      const [dead] = await t.fx.readRaw(`${t.names.input}.dlq`, 1);
      assert.equal(dead?.headers[DLQ_HEADERS.consumerGroup], t.names.group);
      assert.equal(dead?.headers[DLQ_HEADERS.originalTopic], t.names.input);
      assert.equal(decodeSeq(dead), POISON);
    } finally {
      await t.cleanup();
    }
  });
}
