/**
 * Messages-per-second limit that learns the SMSC's rate (AIMD over GCRA send slots). Time is
 * passed in.
 *
 * - Slots are spaced at the learned rate (GCRA with a small burst), never above the configured
 *   ceiling.
 * - A throttling answer (0x58 / 0x14) cuts the rate once per round trip: only an answer to a PDU
 *   sent after the last cut counts (the others were sent at the old rate), and at most once per
 *   `minCutIntervalMs`. The cut starts from what the SMSC actually accepted in the last
 *   second when that is lower than the rate, so a ceiling far above the SMSC's limit (say 100k
 *   TPS) falls to the limit in one step instead of halving its way down.
 * - Between cuts the rate climbs back steadily: a fixed fraction of the rate per second (at least
 *   one message per second per second), up to the ceiling.
 */
export interface RateLimiterOptions {
  /** The configured ceiling. */
  messagesPerSecond: number;
  /** Sends allowed at once after an idle period (default 1: evenly spaced). */
  burst?: number;
  /** Lowest rate a cut may reach (default 1/s). */
  minMessagesPerSecond?: number;
  /** Rate kept on a cut (default 0.9). */
  decrease?: number;
  /** Climb per second as a fraction of the rate set by the last cut (default 0.1). */
  climbPerSecond?: number;
  /**
   * Shortest time between two cuts (default 1 s: SMSCs commonly count per second, and refuse
   * everything after the limit until the second ends, whatever the sender does meanwhile).
   */
  minCutIntervalMs?: number;
}

export interface RateLimiter {
  /** Reserves the next send slot; returns how long to wait before sending. */
  reserve(now: number): number;
  /** The SMSC accepted a PDU (answer at `now`): feeds the accepted-rate estimate. */
  accepted(now: number): void;
  /**
   * The SMSC refused a PDU sent at `sentAt` with a throttling status: cut the rate, unless this
   * round trip already did. Returns true when it cut.
   */
  throttled(now: number, sentAt: number): boolean;
  /** The learned rate now. */
  currentRate(now: number): number;
  /** How many cuts so far. */
  readonly cuts: number;
}

const BUCKET_MS = 100;
const BUCKETS = 10; // one second of accepted answers

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const ceiling = options.messagesPerSecond;
  const burst = Math.max(1, options.burst ?? 1);
  const floor = Math.min(options.minMessagesPerSecond ?? 1, ceiling);
  const decrease = options.decrease ?? 0.9;
  const climbFraction = options.climbPerSecond ?? 0.1;
  const minCutIntervalMs = options.minCutIntervalMs ?? 1_000;
  const acceptedPerBucket = new Array<number>(BUCKETS).fill(0);
  let bucketStart = 0; // start (ms) of the newest bucket
  let theoreticalArrival = 0;
  let base = ceiling; // rate set by the last cut
  let lastCutAt = -Infinity;
  let cuts = 0;

  const currentRate = (now: number): number => {
    if (lastCutAt === -Infinity) return ceiling;
    const climb = Math.max(1, base * climbFraction);
    return Math.min(ceiling, base + (climb * Math.max(0, now - lastCutAt)) / 1000);
  };

  const advanceBuckets = (now: number): void => {
    const start = now - (now % BUCKET_MS);
    const steps = Math.min(BUCKETS, Math.max(0, Math.round((start - bucketStart) / BUCKET_MS)));
    for (let i = 0; i < steps; i++) {
      acceptedPerBucket.shift();
      acceptedPerBucket.push(0);
    }
    if (start > bucketStart) bucketStart = start;
  };

  const acceptedLastSecond = (now: number): number => {
    advanceBuckets(now);
    return acceptedPerBucket.reduce((sum, n) => sum + n, 0);
  };

  return {
    reserve(now) {
      const interval = 1000 / currentRate(now);
      const tolerance = (burst - 1) * interval;
      const sendAt = Math.max(now, theoreticalArrival - tolerance);
      theoreticalArrival = Math.max(theoreticalArrival, sendAt) + interval;
      return sendAt - now;
    },
    accepted(now) {
      advanceBuckets(now);
      acceptedPerBucket[BUCKETS - 1] = (acceptedPerBucket[BUCKETS - 1] ?? 0) + 1;
    },
    throttled(now, sentAt) {
      if (sentAt < lastCutAt || now - lastCutAt < minCutIntervalMs) return false;
      const rate = currentRate(now);
      const measured = acceptedLastSecond(now);
      const from = measured > 0 ? Math.min(rate, measured) : rate;
      base = Math.max(floor, from * decrease);
      lastCutAt = now;
      cuts++;
      // Slots already handed out at the old rate stay; the next ones follow the new rate.
      theoreticalArrival = Math.max(theoreticalArrival, now + 1000 / base);
      return true;
    },
    currentRate,
    get cuts() {
      return cuts;
    },
  };
}

/** Reserves a slot in each limiter (a bind's and its account's): the wait is the longest. */
export function reserveAll(limiters: readonly RateLimiter[], now: number): number {
  return limiters.reduce((wait, limiter) => Math.max(wait, limiter.reserve(now)), 0);
}
