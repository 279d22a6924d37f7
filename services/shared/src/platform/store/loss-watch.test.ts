/**
 * The store-loss watch on the in-process store: a replay that catches up finishes the rebuild
 * and keeps the marker; one cut short (the service stopping mid-replay) finishes nothing and
 * leaves no marker, so the next start replays again.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { BusMessage } from "../bus/port";
import { silentLogger } from "../log";
import { createStoreLossWatch, type Replay } from "./loss-watch";
import { createMemoryStore } from "./memory";

const MARKER = "test-epoch";

function watchWith(replay: (observe: (m: BusMessage) => void) => Replay) {
  const store = createMemoryStore({ prefix: "loss-watch:" });
  const watch = createStoreLossWatch({
    store,
    logger: silentLogger(),
    now: Date.now,
    marker: MARKER,
    what: "test state",
    intervalMs: 50,
    idleMs: 200,
    replay: async (observe) => replay(observe),
  });
  return { store, watch, marker: () => store.get(store.key(MARKER)) };
}

describe("store-loss watch", () => {
  it("a replay that catches up is finished once, and the marker stays", async () => {
    let finished = 0;
    const { watch, marker } = watchWith(() => ({
      ready: Promise.resolve(),
      stop: async () => undefined,
      caughtUp: async () => void finished++,
    }));
    await watch.start();
    for (let waited = 0; finished === 0 && waited < 10_000; waited += 50) await sleep(50);
    await sleep(200); // a second rebuild would have begun by now
    await watch.stop();
    assert.equal(finished, 1);
    assert.notEqual(await marker(), null);
    assert.equal(watch.epoch.seen(), await marker(), "the epoch it wrote");
  });

  it("gives the store's epoch: the marker's value, none once the store lost it", async () => {
    const { store, watch } = watchWith(() => ({ ready: Promise.resolve(), stop: async () => undefined }));
    assert.equal(await watch.epoch.current(), undefined, "never replayed into");
    await store.set(store.key(MARKER), "e1");
    assert.equal(watch.epoch.seen(), undefined, "not read yet");
    assert.equal(await watch.epoch.current(), "e1");
    assert.equal(watch.epoch.seen(), "e1");
    await store.clear();
    assert.equal(await watch.epoch.current(), undefined);
  });

  it("a replay cut short finishes nothing and leaves no marker", async () => {
    let finished = 0;
    let stopped = 0;
    const old = { envelope: { occurredAt: new Date(0) } } as BusMessage;
    let feeding: NodeJS.Timeout | undefined;
    const { watch, marker } = watchWith((observe) => {
      // Old events keep coming: the replay never catches up.
      feeding = setInterval(() => observe(old), 20);
      return {
        ready: Promise.resolve(),
        stop: async () => {
          stopped++;
          clearInterval(feeding);
        },
        caughtUp: async () => void finished++,
      };
    });
    await watch.start();
    await sleep(300);
    assert.notEqual(await marker(), null, "the replay is under way");
    await watch.stop();
    assert.equal(stopped, 1);
    assert.equal(finished, 0);
    assert.equal(await marker(), null);
  });
});
