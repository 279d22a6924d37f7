/**
 * Exact timing of the scripts on the in-process store with a manual clock. The contract suite
 * (test/contract/store.contract.ts) proves Redis and the in-process store agree.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createMemoryStore } from "../memory";
import { counterWindow, rateLimit } from "./index";

function storeWithClock(start = 1_700_000_000_000) {
  let now = start;
  const store = createMemoryStore({ prefix: "t:", clock: () => now });
  return { store, advance: (ms: number) => void (now += ms), now: () => now };
}

describe("rateLimit timing", () => {
  it("one token per interval after the burst, retry-after exact to the millisecond", async () => {
    const { store, advance } = storeWithClock();
    const input = { key: "k", ratePerSec: 10, burst: 2 };
    assert.deepEqual(await store.run(rateLimit, input), { allowed: true, retryAfterMs: 0, remaining: 1 });
    assert.deepEqual(await store.run(rateLimit, input), { allowed: true, retryAfterMs: 0, remaining: 0 });
    assert.deepEqual(await store.run(rateLimit, input), { allowed: false, retryAfterMs: 100, remaining: 0 });
    advance(99);
    assert.equal((await store.run(rateLimit, input)).retryAfterMs, 1);
    advance(1);
    assert.deepEqual(await store.run(rateLimit, input), { allowed: true, retryAfterMs: 0, remaining: 0 });
    advance(10_000);
    assert.equal((await store.run(rateLimit, input)).remaining, 1, "idle time refills up to the burst only");
  });

  it("a fractional interval (3 per second) does not lose a token to rounding", async () => {
    const { store, advance } = storeWithClock();
    const input = { key: "k", ratePerSec: 3, burst: 3 };
    const remaining = [];
    for (let i = 0; i < 3; i++) remaining.push((await store.run(rateLimit, input)).remaining);
    assert.deepEqual(remaining, [2, 1, 0]);
    assert.equal((await store.run(rateLimit, input)).retryAfterMs, 334);
    advance(1_000);
    for (let i = 0; i < 3; i++) assert.equal((await store.run(rateLimit, input)).allowed, true);
    assert.equal((await store.run(rateLimit, input)).allowed, false);
  });

  it("the state key expires once it holds no information", async () => {
    const { store } = storeWithClock();
    await store.run(rateLimit, { key: "k", limit: 2, periodMs: 1_000, burst: 2 });
    assert.equal(await store.pttl(store.key("rate:{k}")), 500);
  });
});

describe("counterWindow timing", () => {
  it("the window lasts windowMs from the first event", async () => {
    const { store, advance } = storeWithClock();
    const input = { key: "k", windowMs: 1_000, limit: 1 };
    assert.equal((await store.run(counterWindow, input)).allowed, true);
    advance(400);
    assert.deepEqual(await store.run(counterWindow, input), { allowed: false, count: 1, retryAfterMs: 600 });
    advance(601);
    assert.deepEqual(await store.run(counterWindow, input), { allowed: true, count: 1, retryAfterMs: 0 });
  });
});
