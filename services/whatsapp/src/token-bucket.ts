/**
 * Messages-per-second limit per sender (token bucket: `ratePerSecond` refill, burst of one
 * second's worth). Time is passed in; `reserve` takes a token now or books the next one and
 * says how long to wait for it.
 */
export interface TokenBucket {
  reserve(now: number): number;
}

export function createTokenBucket(
  ratePerSecond: number,
  burst = Math.max(1, Math.floor(ratePerSecond)),
): TokenBucket {
  if (!(ratePerSecond > 0)) throw new RangeError("ratePerSecond must be > 0");
  let tokens = burst;
  let updatedAt = -Infinity;
  return {
    reserve(now) {
      if (updatedAt === -Infinity) updatedAt = now;
      tokens = Math.min(burst, tokens + ((now - updatedAt) * ratePerSecond) / 1000);
      updatedAt = now;
      tokens -= 1;
      // A negative balance is the queue in front of this caller.
      return tokens >= 0 ? 0 : Math.ceil((-tokens * 1000) / ratePerSecond);
    },
  };
}

/** One bucket per key (phone number id), created on first use. */
export function createKeyedTokenBuckets(rateFor: (key: string) => number): {
  reserve(key: string, now: number): number;
} {
  const buckets = new Map<string, TokenBucket>();
  return {
    reserve(key, now) {
      let bucket = buckets.get(key);
      if (!bucket) {
        bucket = createTokenBucket(rateFor(key));
        buckets.set(key, bucket);
      }
      return bucket.reserve(now);
    },
  };
}
