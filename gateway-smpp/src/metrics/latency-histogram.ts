/**
 * A fixed-bucket latency histogram (the shape Prometheus exports): count, sum, max and
 * per-bucket counts, with quantiles estimated from the buckets for a quick read.
 */
const LATENCY_BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000];

export interface LatencySnapshot {
  count: number;
  sumMs: number;
  maxMs: number;
  meanMs: number;
  /** Upper bound of the bucket holding the quantile (Infinity beyond the last bucket). */
  p50Ms: number;
  p99Ms: number;
  /** Cumulative counts per upper bound, as in a Prometheus histogram ("+Inf" last). */
  buckets: Array<{ le: number; count: number }>;
}

export interface LatencyHistogram {
  observe(ms: number): void;
  snapshot(): LatencySnapshot;
}

export function createLatencyHistogram(bounds: readonly number[] = LATENCY_BUCKETS_MS): LatencyHistogram {
  const counts = new Array<number>(bounds.length + 1).fill(0);
  let count = 0;
  let sum = 0;
  let max = 0;

  const quantile = (q: number): number => {
    if (count === 0) return 0;
    const rank = Math.ceil(q * count);
    let seen = 0;
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i] ?? 0;
      if (seen >= rank) return bounds[i] ?? Infinity;
    }
    return Infinity;
  };

  return {
    observe(ms) {
      const value = Math.max(0, ms);
      let index = bounds.findIndex((bound) => value <= bound);
      if (index === -1) index = bounds.length;
      counts[index] = (counts[index] ?? 0) + 1;
      count++;
      sum += value;
      max = Math.max(max, value);
    },
    snapshot() {
      let cumulative = 0;
      const buckets = counts.map((n, i) => {
        cumulative += n;
        return { le: bounds[i] ?? Infinity, count: cumulative };
      });
      return {
        count,
        sumMs: sum,
        maxMs: max,
        meanMs: count === 0 ? 0 : sum / count,
        p50Ms: quantile(0.5),
        p99Ms: quantile(0.99),
        buckets,
      };
    },
  };
}
