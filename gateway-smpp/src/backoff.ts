/** Exponential backoff with "equal jitter" for reconnects (random is passed in). */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  multiplier?: number;
}

/** Delay before reconnect attempt `attempt` (1-based): uniform in [cap/2, cap]. */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number): number {
  const multiplier = options.multiplier ?? 2;
  const cap = Math.min(options.maxMs, options.initialMs * multiplier ** Math.max(0, attempt - 1));
  return Math.round(cap / 2 + random() * (cap / 2));
}
