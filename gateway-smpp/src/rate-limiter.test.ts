import assert from "node:assert/strict";
import { test } from "node:test";
import { backoffDelay } from "./backoff";
import { createRateLimiter } from "./rate-limiter";

test("slots are spaced at the configured rate", () => {
  const limiter = createRateLimiter({ messagesPerSecond: 10, slowDownMs: 5_000 });
  const waits = Array.from({ length: 5 }, () => limiter.reserve(0));
  assert.deepEqual(waits, [0, 100, 200, 300, 400]);
});

test("a throttling answer halves the rate once per burst, for a while", () => {
  const limiter = createRateLimiter({ messagesPerSecond: 10, slowDownMs: 5_000 });
  limiter.slowDown(1_000, 900);
  limiter.slowDown(1_010, 950); // sent before the slow-down: no second halving
  assert.equal(limiter.currentRate(1_100), 5);
  limiter.slowDown(2_000, 1_500); // sent at the reduced rate and still throttled
  assert.equal(limiter.currentRate(2_100), 2.5);
  assert.equal(limiter.currentRate(7_001), 10);
});

test("backoff grows, is capped and jittered", () => {
  const options = { initialMs: 100, maxMs: 1_000 };
  assert.equal(
    backoffDelay(1, options, () => 0),
    50,
  );
  assert.equal(
    backoffDelay(3, options, () => 1),
    400,
  );
  assert.equal(
    backoffDelay(10, options, () => 1),
    1_000,
  );
});
