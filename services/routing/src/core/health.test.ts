/** Health windows and states: sums over the window, percentiles, hysteresis without flapping. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DEFAULT_HEALTH_THRESHOLDS, nextHealthState, type SeriesState, UNKNOWN_STATE } from "./health-state";
import {
  type BucketCounts,
  HISTOGRAM_SIZE,
  latencyBucket,
  percentile,
  windowFigures,
  type WindowFigures,
} from "./health-window";
import { recommendChannel } from "./recommend";

const shape = { windowMs: 60_000, bucketMs: 10_000 };

function bucket(epoch: number, counts: Partial<Omit<BucketCounts, "epoch">>): BucketCounts {
  return {
    epoch,
    sent: 0,
    delivered: 0,
    failed: 0,
    verified: 0,
    histogram: new Array<number>(HISTOGRAM_SIZE).fill(0),
    ...counts,
  };
}

describe("health window", () => {
  test("sums only the buckets inside the window", () => {
    const now = 100_000; // epoch 10; the window holds epochs 5..10
    const figures = windowFigures(
      [
        bucket(4, { sent: 100, failed: 100 }),
        bucket(5, { sent: 10, delivered: 8, failed: 2, verified: 5 }),
        bucket(10, { sent: 10, delivered: 10, verified: 5 }),
      ],
      now,
      shape,
    );
    assert.equal(figures.sent, 20);
    assert.equal(figures.sampleSize, 20);
    assert.equal(figures.deliveryRate, 0.9);
    assert.equal(figures.conversionRate, 0.5);
  });

  test("percentiles interpolate inside the histogram's buckets", () => {
    const histogram = new Array<number>(HISTOGRAM_SIZE).fill(0);
    histogram[latencyBucket(800)] = 50; // (500, 1000]
    histogram[latencyBucket(4_000)] = 50; // (2000, 5000]
    assert.equal(percentile(histogram, 0.5), 1_000);
    assert.equal(percentile(histogram, 0.95), 4_700);
    assert.equal(percentile(new Array<number>(HISTOGRAM_SIZE).fill(0), 0.5), 0);
  });
});

describe("health states", () => {
  const t = { ...DEFAULT_HEALTH_THRESHOLDS, minSamples: 10, minDwellMs: 30_000 };
  const rate = (deliveryRate: number, sampleSize = 40): WindowFigures => ({
    sent: sampleSize,
    delivered: Math.round(deliveryRate * sampleSize),
    failed: sampleSize - Math.round(deliveryRate * sampleSize),
    verified: 0,
    sampleSize,
    deliveryRate,
    conversionRate: 0,
    p50Ms: 1_000,
    p95Ms: 3_000,
  });
  const step = (s: SeriesState, f: WindowFigures, now: number) => nextHealthState(s, f, "whatsapp", t, now);

  test("too few samples: no judgement", () => {
    assert.equal(step(UNKNOWN_STATE, rate(0, 9), 0), UNKNOWN_STATE);
  });

  test("getting worse is immediate; getting better needs clearly better figures and time", () => {
    let s = step(UNKNOWN_STATE, rate(0.97), 0);
    assert.equal(s.state, "healthy");
    s = step(s, rate(0.3), 1_000);
    assert.deepEqual(s, { state: "down", since: 1_000 });
    // Back above the threshold that made it go down, but not above the one to leave: stays.
    assert.equal(step(s, rate(0.6), 60_000).state, "down");
    // Good enough to leave, but too soon: stays.
    assert.equal(step(s, rate(0.8), 20_000).state, "down");
    s = step(s, rate(0.8), 31_000);
    assert.deepEqual(s, { state: "degraded", since: 31_000 });
    assert.equal(step(s, rate(0.97), 40_000).state, "degraded", "dwell time again before healthy");
    assert.deepEqual(step(s, rate(0.97), 61_000), { state: "healthy", since: 61_000 });
    assert.equal(step(s, rate(0.4), 32_000).state, "down");
  });

  test("a rate hovering around one threshold does not flap", () => {
    let s: SeriesState = { state: "healthy", since: 0 };
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) {
      s = step(s, rate(i % 2 === 0 ? 0.84 : 0.9), i * 1_000);
      seen.add(s.state);
    }
    assert.deepEqual([...seen], ["degraded"]);
  });

  test("a down channel recovers on the few samples its probes bring", () => {
    const down: SeriesState = { state: "down", since: 0 };
    assert.equal(step(down, rate(1, 2), 60_000), down, "two samples are too few");
    assert.equal(step(down, rate(1, 3), 60_000).state, "healthy");
    assert.equal(
      step({ state: "healthy", since: 0 }, rate(0, 3), 60_000).state,
      "healthy",
      "but going down needs them all",
    );
  });

  test("a window left empty for a window's length forgets the state", () => {
    const down: SeriesState = { state: "down", since: 0 };
    assert.equal(step(down, rate(0, 0), t.windowMs - 1), down);
    assert.deepEqual(step(down, rate(0, 0), t.windowMs), { state: "unknown", since: t.windowMs });
  });

  test("latency counts too: slow delivery degrades a channel", () => {
    const slow = { ...rate(0.99), p95Ms: 12_000 };
    assert.equal(step(UNKNOWN_STATE, slow, 0).state, "degraded");
  });
});

describe("recommended channel", () => {
  const f = (
    channel: "whatsapp" | "sms" | "voice",
    state: "healthy" | "degraded" | "down" | "unknown",
    deliveryRate: number,
  ) => ({
    channel,
    route: "",
    district: "X",
    operator: "",
    deliveryRate,
    conversionRate: 0,
    p50Ms: 0,
    p95Ms: 0,
    sampleSize: 50,
    state,
  });

  test("the healthiest judged channel, never one under an incident", () => {
    assert.equal(recommendChannel([f("whatsapp", "down", 0.2), f("sms", "healthy", 0.95)], []), "sms");
    assert.equal(
      recommendChannel([f("whatsapp", "healthy", 0.99), f("sms", "healthy", 0.95)], []),
      "whatsapp",
    );
    assert.equal(
      recommendChannel([f("whatsapp", "healthy", 0.99), f("sms", "degraded", 0.8)], ["whatsapp"]),
      "sms",
    );
    assert.equal(recommendChannel([f("whatsapp", "unknown", 0)], []), undefined);
  });
});
