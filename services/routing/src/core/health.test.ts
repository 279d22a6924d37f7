/** Health windows and states: sums over the window, percentiles, hysteresis without flapping. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_HEALTH_THRESHOLDS, nextHealthState, type SeriesState, UNKNOWN_STATE } from "./health-state";
import { type BucketCounts, HISTOGRAM_SIZE, latencyBucket, percentile, windowFigures } from "./health-window";
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
  it("sums only the buckets inside the window", () => {
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

  it("percentiles interpolate inside the histogram's buckets", () => {
    const histogram = new Array<number>(HISTOGRAM_SIZE).fill(0);
    histogram[latencyBucket(800)] = 50; // (500, 1000]
    histogram[latencyBucket(4_000)] = 50; // (2000, 5000]
    assert.equal(percentile(histogram, 0.5), 1_000);
    assert.equal(percentile(histogram, 0.95), 4_700);
    assert.equal(percentile(new Array<number>(HISTOGRAM_SIZE).fill(0), 0.5), 0);
  });
});

describe("health states", () => {
  const t = { ...DEFAULT_HEALTH_THRESHOLDS, ...shape, minSamples: 8, minDwellMs: 30_000 };
  /** One bucket per entry, 10 s apart from epoch 0, of [delivered, failed]. */
  const buckets = (...counts: [number, number][]): BucketCounts[] =>
    counts.map(([delivered, failed], epoch) =>
      bucket(epoch, { delivered, failed, sent: delivered + failed }),
    );
  const step = (s: SeriesState, b: BucketCounts[], now: number) => nextHealthState(s, b, "whatsapp", t, now);

  it("no evidence: no judgement", () => {
    assert.equal(step(UNKNOWN_STATE, [], 0), UNKNOWN_STATE);
    assert.equal(step(UNKNOWN_STATE, buckets([1, 0]), 5_000), UNKNOWN_STATE, "one success is not enough");
  });

  it("getting worse is immediate; getting better needs the probes' successes and time", () => {
    let s = step(UNKNOWN_STATE, buckets([8, 0]), 5_000);
    assert.equal(s.state, "healthy");
    s = step(s, buckets([8, 0], [0, 5]), 15_000);
    assert.deepEqual(s, { state: "down", since: 15_000 });
    // Successes after going down, but too soon: stays.
    assert.equal(step(s, buckets([8, 0], [0, 5], [0, 0], [6, 0]), 35_000).state, "down");
    // Long enough, and clearly good: back up.
    // The outage's evidence is not judged again: the test looks at what comes after.
    assert.deepEqual(step(s, buckets([8, 0], [0, 5], [0, 0], [0, 0], [6, 0]), 45_000), {
      state: "healthy",
      since: 45_000,
      evidenceFrom: 45_000,
    });
  });

  it("a down channel whose window empties stays down", () => {
    const down: SeriesState = { state: "down", since: 0 };
    assert.equal(step(down, [], 10 * t.windowMs), down);
    assert.equal(step(down, buckets([0, 3]), 10 * t.windowMs), down);
  });

  it("latency counts too: slow delivery degrades a channel, never makes it down", () => {
    const slow = bucket(0, { delivered: 10, histogram: new Array<number>(HISTOGRAM_SIZE).fill(0) });
    slow.histogram[latencyBucket(15_000)] = 10;
    assert.equal(step({ state: "healthy", since: 0 }, [slow], 5_000).state, "degraded");
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

  it("the healthiest judged channel, never one under an incident", () => {
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
