/**
 * Messages-per-second limit for one bind (GCRA: a schedule of send slots with a small burst),
 * which halves itself for a while when the SMSC answers ESME_RTHROTTLED. Time is passed in.
 */
export interface RateLimiterOptions {
  messagesPerSecond: number;
  /** Sends allowed at once after an idle period (default 1: evenly spaced). */
  burst?: number;
  /** How long a slow-down lasts after the last throttling answer. */
  slowDownMs: number;
  /** Lowest rate a slow-down may reach. */
  minMessagesPerSecond?: number;
}

export interface RateLimiter {
  /** Reserves the next send slot; returns how long to wait before sending. */
  reserve(now: number): number;
  /**
   * The SMSC said "throttled" to a PDU sent at `sentAt`: halve the rate until
   * `now + slowDownMs`. Answers to PDUs sent before the last slow-down only extend it, so a
   * burst of throttled answers halves the rate once, not once per answer.
   */
  slowDown(now: number, sentAt: number): void;
  currentRate(now: number): number;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const burst = Math.max(1, options.burst ?? 1);
  const floor = Math.min(options.minMessagesPerSecond ?? 1, options.messagesPerSecond);
  let theoreticalArrival = 0;
  let slowRate = options.messagesPerSecond;
  let slowUntil = 0;
  let lastSlowDown = -Infinity;

  const currentRate = (now: number): number => (now < slowUntil ? slowRate : options.messagesPerSecond);

  return {
    reserve(now) {
      const interval = 1000 / currentRate(now);
      const tolerance = (burst - 1) * interval;
      const sendAt = Math.max(now, theoreticalArrival - tolerance);
      theoreticalArrival = Math.max(theoreticalArrival, sendAt) + interval;
      return sendAt - now;
    },
    slowDown(now, sentAt) {
      if (sentAt >= lastSlowDown || now >= slowUntil) {
        slowRate = Math.max(floor, currentRate(now) / 2);
        lastSlowDown = now;
      }
      slowUntil = now + options.slowDownMs;
      // Space the next sends at the new rate from now on.
      theoreticalArrival = Math.max(theoreticalArrival, now + 1000 / slowRate);
    },
    currentRate,
  };
}
