/**
 * Sliding windows of delivery figures, bucketed in time: each bucket counts sent, delivered,
 * failed and verified attempts, plus a small fixed histogram of time to deliver. The store keeps
 * a ring of `windowMs / bucketMs` buckets per series; a bucket whose number is too old for the
 * window is ignored when read and reset when written again.
 */
import type { HealthSample } from "./types";

/** Upper bounds (ms) of the time-to-deliver histogram; one more bucket holds everything above. */
const LATENCY_BOUNDS_MS = [500, 1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000, 120_000] as const;

export const HISTOGRAM_SIZE = LATENCY_BOUNDS_MS.length + 1;

/** Numbers stored per bucket: epoch, sent, delivered, failed, verified, then the histogram. */
export const BUCKET_FIELDS_COUNT = 5 + HISTOGRAM_SIZE;

export interface WindowShape {
  windowMs: number;
  bucketMs: number;
}

/** One bucket of one series: `epoch` is the bucket's number (time ÷ bucketMs). */
export interface BucketCounts {
  epoch: number;
  sent: number;
  delivered: number;
  failed: number;
  verified: number;
  histogram: number[];
}

export interface WindowFigures {
  sent: number;
  delivered: number;
  failed: number;
  verified: number;
  /** delivered + failed: attempts whose result is known. */
  sampleSize: number;
  deliveryRate: number;
  conversionRate: number;
  p50Ms: number;
  p95Ms: number;
}

export const slotsOf = (shape: WindowShape): number =>
  Math.max(1, Math.ceil(shape.windowMs / shape.bucketMs));

const epochOf = (at: number, shape: WindowShape): number => Math.floor(at / shape.bucketMs);

export function latencyBucket(latencyMs: number): number {
  const index = LATENCY_BOUNDS_MS.findIndex((bound) => latencyMs <= bound);
  return index < 0 ? LATENCY_BOUNDS_MS.length : index;
}

/**
 * The increments a sample adds to its bucket: [sent, delivered, failed, verified, histogram index
 * or -1]. A neutral outcome takes its attempt's send back (the store never lets `sent` go below 0).
 */
export function incrementsOf(sample: HealthSample): [number, number, number, number, number] {
  switch (sample.kind) {
    case "sent":
      return [1, 0, 0, 0, -1];
    case "delivered":
      return [0, 1, 0, 0, latencyBucket(sample.latencyMs)];
    case "failed":
      return [0, 0, 1, 0, -1];
    case "neutral":
      return [-1, 0, 0, 0, -1];
    case "verified":
      return [0, 0, 0, 1, -1];
  }
}

/** Sums the buckets still inside the window ending at `now`. */
export function windowFigures(
  buckets: readonly BucketCounts[],
  now: number,
  shape: WindowShape,
): WindowFigures {
  const newest = epochOf(now, shape);
  const oldest = newest - slotsOf(shape) + 1;
  const sum = {
    sent: 0,
    delivered: 0,
    failed: 0,
    verified: 0,
    histogram: new Array<number>(HISTOGRAM_SIZE).fill(0),
  };
  for (const b of buckets) {
    if (b.epoch < oldest || b.epoch > newest) continue;
    sum.sent += b.sent;
    sum.delivered += b.delivered;
    sum.failed += b.failed;
    sum.verified += b.verified;
    b.histogram.forEach((count, i) => {
      if (i < HISTOGRAM_SIZE) sum.histogram[i]! += count;
    });
  }
  const sampleSize = sum.delivered + sum.failed;
  return {
    sent: sum.sent,
    delivered: sum.delivered,
    failed: sum.failed,
    verified: sum.verified,
    sampleSize,
    deliveryRate: sampleSize > 0 ? sum.delivered / sampleSize : 0,
    conversionRate: sum.sent > 0 ? Math.min(1, sum.verified / sum.sent) : 0,
    p50Ms: percentile(sum.histogram, 0.5),
    p95Ms: percentile(sum.histogram, 0.95),
  };
}

/** A percentile from the histogram, interpolated linearly inside its bucket. */
export function percentile(histogram: readonly number[], p: number): number {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const target = p * total;
  let below = 0;
  for (let i = 0; i < histogram.length; i++) {
    const count = histogram[i] ?? 0;
    if (count > 0 && below + count >= target) {
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
      const upper = LATENCY_BOUNDS_MS[i] ?? lower * 2;
      return Math.round(lower + ((upper - lower) * (target - below)) / count);
    }
    below += count;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]! * 2;
}
