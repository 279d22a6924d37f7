/** Events per second over a sliding window of one-second buckets (time passed in). */
export interface RateMeter {
  mark(now: number, n?: number): void;
  /** Average rate over the last `windowSeconds` complete and current seconds. */
  perSecond(now: number): number;
}

export function createRateMeter(windowSeconds = 10): RateMeter {
  const buckets = new Map<number, number>();
  let since: number | undefined;

  const prune = (second: number): void => {
    for (const key of buckets.keys()) if (key <= second - windowSeconds) buckets.delete(key);
  };

  return {
    mark(now, n = 1) {
      const second = Math.floor(now / 1000);
      since ??= second * 1000;
      buckets.set(second, (buckets.get(second) ?? 0) + n);
      if (buckets.size > windowSeconds + 1) prune(second);
    },
    perSecond(now) {
      const second = Math.floor(now / 1000);
      prune(second);
      let total = 0;
      for (const n of buckets.values()) total += n;
      if (total === 0 || since === undefined) return 0;
      // The current second is partial, and a young meter has not seen a whole window yet.
      const elapsed = Math.min(windowSeconds - 1 + (now % 1000) / 1000, (now - since) / 1000);
      return total / Math.max(elapsed, 1);
    },
  };
}
