import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createSenderHealth } from "./sender-health";

describe("sender health (circuit breaker)", () => {
  const options = { failureThreshold: 3, openMs: 1_000, maxOpenMs: 3_000 };

  it("opens after consecutive failures, not after interleaved ones", () => {
    const health = createSenderHealth(options);
    health.recordFailure(0);
    health.recordFailure(0);
    health.recordSuccess(0);
    health.recordFailure(0);
    health.recordFailure(0);
    assert.equal(health.state(0), "closed");
    health.recordFailure(0);
    assert.equal(health.state(0), "open");
    assert.equal(health.tryAcquire(500), false);
  });

  it("lets one probe through when half-open; success closes it", () => {
    const health = createSenderHealth(options);
    for (let i = 0; i < 3; i++) health.recordFailure(0);
    assert.equal(health.state(1_000), "half-open");
    assert.equal(health.tryAcquire(1_000), true);
    assert.equal(health.tryAcquire(1_001), false);
    health.recordSuccess(1_100);
    assert.equal(health.state(1_100), "closed");
    assert.equal(health.tryAcquire(1_100), true);
  });

  it("a failed probe reopens it for longer, up to the maximum", () => {
    const health = createSenderHealth(options);
    for (let i = 0; i < 3; i++) health.recordFailure(0);
    assert.equal(health.tryAcquire(1_000), true);
    health.recordFailure(1_000);
    assert.equal(health.reopensAt, 3_000);
    assert.equal(health.tryAcquire(3_000), true);
    health.recordFailure(3_000);
    assert.equal(health.reopensAt, 6_000);
  });

  it("late failures while open do not extend the wait; release gives the probe back", () => {
    const health = createSenderHealth(options);
    for (let i = 0; i < 3; i++) health.recordFailure(0);
    health.recordFailure(500);
    assert.equal(health.reopensAt, 1_000);
    assert.equal(health.tryAcquire(1_000), true);
    health.release();
    assert.equal(health.tryAcquire(1_000), true);
  });
});
