import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createTimerHeap } from "./timer-heap";

describe("timer heap", () => {
  it("pops timers in due order, whatever order they were pushed in", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1_000_000 }), { maxLength: 200 }), (dues) => {
        const heap = createTimerHeap();
        dues.forEach((at, i) => heap.push({ at, verificationId: `v${i}`, kind: "expiry", attempt: 0 }));
        const popped: number[] = [];
        for (let t = heap.pop(); t; t = heap.pop()) popped.push(t.at);
        assert.deepEqual(
          popped,
          [...dues].sort((a, b) => a - b),
        );
        assert.equal(heap.size, 0);
      }),
    );
  });
});
