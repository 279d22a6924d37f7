import assert from "node:assert/strict";
import { it } from "node:test";
import { createGatewayMetrics } from "./gateway-metrics";
import { createLatencyHistogram } from "./latency-histogram";
import { createRateMeter } from "./rate-meter";

it("latency histogram: count, mean, bucket quantiles, cumulative buckets", () => {
  const histogram = createLatencyHistogram([10, 100, 1_000]);
  for (const ms of [1, 5, 8, 50, 70, 5_000]) histogram.observe(ms);
  const s = histogram.snapshot();
  assert.equal(s.count, 6);
  assert.equal(s.maxMs, 5_000);
  assert.equal(s.p50Ms, 10);
  assert.equal(s.p99Ms, Infinity);
  assert.deepEqual(
    s.buckets.map((b) => b.count),
    [3, 5, 5, 6],
  );
});

it("rate meter: events per second over the window, young meters not diluted", () => {
  const meter = createRateMeter(10);
  const t0 = 1_000_000;
  for (let i = 0; i < 100; i++) meter.mark(t0 + i * 20); // 50/s for 2 s
  assert.ok(Math.abs(meter.perSecond(t0 + 2_000) - 50) < 1);
  assert.equal(meter.perSecond(t0 + 60_000), 0, "old events leave the window");
});

it("per-bind snapshot joins live state with counters", () => {
  let now = 5_000_000;
  const metrics = createGatewayMetrics({
    now: () => now,
    binds: () => [
      {
        name: "a-1",
        account: "a",
        state: "bound",
        window: 10,
        windowInUse: 3,
        queued: 0,
        tps: 100,
        currentTps: 100,
        accountTps: 100,
      },
    ],
  });
  for (let i = 0; i < 50; i++) {
    now += 20;
    metrics.submitResponse("a-1", i % 10 === 0 ? 0x58 : 0, 12);
  }
  metrics.submitResponse("a-1", undefined, 10_000);
  metrics.receipt("a-1", "DELIVRD", 900);
  metrics.count("dispatchesAccepted", 2);
  const snapshot = metrics.snapshot();
  const bind = snapshot.binds[0]!;
  assert.equal(bind.windowInUse, 3);
  assert.deepEqual(bind.commandStatus, { "0x00000000": 45, "0x00000058": 5, timeout: 1 });
  assert.deepEqual(bind.receiptStatus, { DELIVRD: 1 });
  assert.equal(bind.receiptLatencyMs.count, 1);
  assert.ok(bind.submitsPerSecond > 40 && bind.utilisation > 0.4);
  assert.equal(snapshot.gateway.dispatchesAccepted, 2);
});
