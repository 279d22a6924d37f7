import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createFetchLinger } from "./fetch-linger";

/** A wait that records each pause asked for and ends when the test says. */
function recordedWaits() {
  const asked: number[] = [];
  const ends: (() => void)[] = [];
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      asked.push(ms);
      ends.push(resolve);
    });
  return { asked, wait, endAll: () => ends.splice(0).forEach((end) => end()) };
}

describe("fetch linger", () => {
  it("pauses once per round, however many small batches the round brought", async () => {
    const waits = recordedWaits();
    const linger = createFetchLinger({ lingerMs: 5, fullBatch: 100 }, waits.wait);
    linger.newRound();
    const batches = [linger.afterBatch(3), linger.afterBatch(1), linger.afterBatch(7)];
    assert.deepEqual(waits.asked, [5]);
    let done = false;
    const all = Promise.all(batches).then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(done, false, "the batches wait for the pause");
    waits.endAll();
    await all;
    // A later batch of the same round finds the pause over.
    await linger.afterBatch(2);
    assert.deepEqual(waits.asked, [5]);
    linger.newRound();
    const next = linger.afterBatch(2);
    assert.deepEqual(waits.asked, [5, 5], "a new round pauses again");
    waits.endAll();
    await next;
  });

  it("does not pause after a full batch: the consumer is behind and fetches at once", async () => {
    const waits = recordedWaits();
    const linger = createFetchLinger({ lingerMs: 5, fullBatch: 100 }, waits.wait);
    linger.newRound();
    await linger.afterBatch(100);
    await linger.afterBatch(500);
    assert.deepEqual(waits.asked, []);
  });

  it("never pauses when the linger is 0", async () => {
    const waits = recordedWaits();
    const linger = createFetchLinger({ lingerMs: 0, fullBatch: 100 }, waits.wait);
    linger.newRound();
    await linger.afterBatch(1);
    assert.deepEqual(waits.asked, []);
  });
});
