/**
 * Circuit breaker per sender (pure; time passed in). Closed: traffic flows, consecutive
 * failures are counted. After `failureThreshold` in a row it opens for `openMs`; then it is
 * half-open and lets exactly one probe through: success closes it, failure opens it again
 * (each reopening doubles the wait, up to `maxOpenMs`).
 */
export type BreakerState = "closed" | "open" | "half-open";

export interface BreakerOptions {
  failureThreshold: number;
  openMs: number;
  maxOpenMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { failureThreshold: 3, openMs: 30_000, maxOpenMs: 300_000 };

export interface SenderHealth {
  /** May a request go to this sender now? In half-open, true once (the probe) until it reports. */
  tryAcquire(now: number): boolean;
  recordSuccess(now: number): void;
  recordFailure(now: number): void;
  /** Gives an acquired turn back without a verdict (the request never reached the sender). */
  release(): void;
  state(now: number): BreakerState;
  /** When an open breaker lets a probe through. */
  readonly reopensAt: number;
}

export function createSenderHealth(options: BreakerOptions = DEFAULT_BREAKER): SenderHealth {
  let consecutiveFailures = 0;
  let openUntil = 0;
  let currentOpenMs = options.openMs;
  let opened = false;
  let probeInFlight = false;

  const state = (now: number): BreakerState => {
    if (!opened) return "closed";
    return now < openUntil ? "open" : "half-open";
  };

  const open = (now: number): void => {
    opened = true;
    openUntil = now + currentOpenMs;
    currentOpenMs = Math.min(options.maxOpenMs, currentOpenMs * 2);
    probeInFlight = false;
  };

  return {
    tryAcquire(now) {
      const s = state(now);
      if (s === "closed") return true;
      if (s === "open" || probeInFlight) return false;
      probeInFlight = true;
      return true;
    },
    recordSuccess() {
      consecutiveFailures = 0;
      opened = false;
      probeInFlight = false;
      currentOpenMs = options.openMs;
    },
    recordFailure(now) {
      consecutiveFailures += 1;
      const s = state(now);
      // Late answers to requests sent before the breaker opened do not extend the wait.
      if (s === "open") return;
      if (s === "half-open" || consecutiveFailures >= options.failureThreshold) open(now);
    },
    release() {
      probeInFlight = false;
    },
    state,
    get reopensAt() {
      return openUntil;
    },
  };
}
