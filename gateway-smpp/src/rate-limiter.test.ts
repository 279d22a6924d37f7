import assert from "node:assert/strict";
import { it } from "node:test";
import { backoffDelay } from "./backoff";
import { createRateLimiter, type RateLimiter } from "./rate-limiter";

it("slots are spaced at the configured rate", () => {
  const limiter = createRateLimiter({ messagesPerSecond: 10 });
  const waits = Array.from({ length: 5 }, () => limiter.reserve(0));
  assert.deepEqual(waits, [0, 100, 200, 300, 400]);
});

it("throttling cuts the rate once per round trip, not once per refused PDU", () => {
  const limiter = createRateLimiter({ messagesPerSecond: 100, decrease: 0.5, minCutIntervalMs: 250 });
  assert.equal(limiter.throttled(1_000, 900), true);
  assert.equal(limiter.currentRate(1_000), 50);
  assert.equal(limiter.throttled(1_010, 950), false, "sent before the cut: already answered by it");
  assert.equal(limiter.throttled(1_100, 1_050), false, "sent after the cut, but within the same round");
  assert.equal(limiter.throttled(1_400, 1_300), true, "sent at the new rate and still refused");
  assert.equal(limiter.cuts, 2);
});

it("a cut starts from what the SMSC accepted in the last second when that is lower", () => {
  const limiter = createRateLimiter({ messagesPerSecond: 100_000, decrease: 0.9 });
  for (let i = 0; i < 100; i++) limiter.accepted(500 + i);
  limiter.throttled(900, 899);
  assert.equal(Math.round(limiter.currentRate(900)), 90);
});

it("after a cut the rate climbs back steadily to the ceiling, and never below the floor", () => {
  const limiter = createRateLimiter({
    messagesPerSecond: 100,
    decrease: 0.5,
    climbPerSecond: 0.1,
    minMessagesPerSecond: 40,
    minCutIntervalMs: 250,
  });
  limiter.throttled(0, 0);
  assert.equal(limiter.currentRate(0), 50);
  assert.equal(limiter.currentRate(2_000), 60, "5/s per second");
  assert.equal(limiter.currentRate(60_000), 100, "capped at the ceiling");
  limiter.throttled(60_000, 60_000);
  limiter.throttled(60_300, 60_300);
  assert.equal(limiter.currentRate(60_300), 40, "floor");
});

/**
 * A model run in virtual time: an SMSC that accepts N submits per calendar second and throttles
 * the rest, answering after `rttMs`; the sender always has more to send and retries refused
 * PDUs. Returns the accepted rate and the share of throttled answers after the first 10 s.
 */
function modelRun(limiters: RateLimiter[], n: number, rttMs: number, seconds: number) {
  const counts = new Map<number, number>();
  const pending: Array<{ at: number; sentAt: number; ok: boolean; limiter: RateLimiter }> = [];
  let now = 0;
  let accepted = 0;
  let refused = 0;
  let next = 0;
  while (now < seconds * 1000) {
    const limiter = limiters[next++ % limiters.length]!;
    now += limiter.reserve(now);
    // Account-wide limit: every limiter shares it; answers due by now arrive first.
    pending.sort((a, b) => a.at - b.at);
    while (pending.length > 0 && pending[0]!.at <= now) {
      const answer = pending.shift()!;
      if (answer.ok) answer.limiter.accepted(answer.at);
      else answer.limiter.throttled(answer.at, answer.sentAt);
    }
    const second = Math.floor(now / 1000);
    const used = counts.get(second) ?? 0;
    const ok = used < n;
    if (ok) counts.set(second, used + 1);
    if (now >= 10_000) {
      if (ok) accepted++;
      else refused++;
    }
    pending.push({ at: now + rttMs, sentAt: now, ok, limiter });
    now += 0.01;
  }
  return { ratePerSecond: accepted / (seconds - 10), throttledShare: refused / (accepted + refused) };
}

for (const n of [50, 100, 400]) {
  it(`model: a bind configured at 100k TPS settles at ≥ 90 % of an SMSC limit of ${n}/s`, () => {
    const run = modelRun([createRateLimiter({ messagesPerSecond: 100_000 })], n, 5, 60);
    assert.ok(run.ratePerSecond >= 0.9 * n, `${run.ratePerSecond.toFixed(1)}/s`);
    assert.ok(run.throttledShare <= 0.05, `${(run.throttledShare * 100).toFixed(1)} % throttled`);
  });
}

it("model: four binds sharing an account limit of 100/s hold ≥ 90 % of it", () => {
  const binds = Array.from({ length: 4 }, () => createRateLimiter({ messagesPerSecond: 200 }));
  const run = modelRun(binds, 100, 5, 60);
  assert.ok(run.ratePerSecond >= 90, `${run.ratePerSecond.toFixed(1)}/s`);
  assert.ok(run.throttledShare <= 0.05, `${(run.throttledShare * 100).toFixed(1)} % throttled`);
});

it("backoff grows, is capped and jittered", () => {
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
