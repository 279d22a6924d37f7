/**
 * Whether a channel is down in a district, judged from the evidence the district gives
 * (ADR 0015). Every attempt gives one piece, once: a success when it is delivered or converts
 * (a conversion fills in a receipt that never came: receipts are unreliable, a checked code is
 * not), a failure when its step deadline passes without delivery, when it fails hard, or when the
 * user verifies on another channel after it (the fallback succeeded elsewhere).
 *
 * The judgement is a confidence bound (Wilson score, one-sided) on the delivery probability of
 * the most recent evidence, however much of it there is: every suffix of the window's buckets,
 * newest first, is a candidate. A few clear failures in a quiet district are enough; one failure
 * among many successes in a busy one is not. The bounds only move when evidence arrives: a
 * window that empties drops its oldest suffixes, which can never create a new reason to change,
 * so a dark district holds its judgement.
 *
 * - enter "down" when some recent suffix's upper bound is below `downBelow`;
 * - leave "down" only after `minDwellMs`, on evidence gathered since going down (the probes'),
 *   when some suffix has at least `probeSuccesses` successes and its lower bound is above
 *   `downLeaveAbove`; the gap between the two bounds is the hysteresis.
 */

/** Evidence in one time bucket. */
export interface EvidenceBucket {
  epoch: number;
  successes: number;
  failures: number;
}

export interface DetectorSettings {
  bucketMs: number;
  windowMs: number;
  /** z of the one-sided bound (1.645: 95 %). */
  confidenceZ: number;
  downBelow: number;
  downLeaveAbove: number;
  probeSuccesses: number;
  minDwellMs: number;
}

export type Verdict = "down" | "up" | "hold";

export interface DetectorJudgement {
  verdict: Verdict;
  /** The suffix that decided it (or the whole window when nothing did). */
  successes: number;
  failures: number;
  bound: number;
}

/** Wilson score bounds for `successes` out of `successes + failures` (weights may be fractional). */
export function wilsonBounds(
  successes: number,
  failures: number,
  z: number,
): { lower: number; upper: number } {
  const n = successes + failures;
  if (n <= 0) return { lower: 0, upper: 1 };
  const p = successes / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  const denominator = 1 + z2 / n;
  return {
    lower: Math.max(0, (centre - spread) / denominator),
    upper: Math.min(1, (centre + spread) / denominator),
  };
}

/** Suffix sums of the buckets with evidence inside the window, newest first. */
function suffixes(
  buckets: readonly EvidenceBucket[],
  now: number,
  s: Pick<DetectorSettings, "bucketMs" | "windowMs">,
  after = -Infinity,
): { successes: number; failures: number }[] {
  const newest = Math.floor(now / s.bucketMs);
  const oldest = newest - Math.max(1, Math.ceil(s.windowMs / s.bucketMs)) + 1;
  const inWindow = buckets
    .filter((b) => b.epoch >= oldest && b.epoch <= newest && b.epoch > after)
    .filter((b) => b.successes + b.failures > 0)
    .sort((a, b) => b.epoch - a.epoch);
  const out: { successes: number; failures: number }[] = [];
  let successes = 0;
  let failures = 0;
  for (const b of inWindow) {
    successes += b.successes;
    failures += b.failures;
    out.push({ successes, failures });
  }
  return out;
}

/**
 * What the evidence says about a channel that is (`down`) or is not down. "hold" keeps the
 * current judgement; "up" means "not down" (the caller picks healthy or degraded).
 */
export function judge(
  buckets: readonly EvidenceBucket[],
  current: { down: boolean; since: number },
  now: number,
  s: DetectorSettings,
): DetectorJudgement {
  if (!current.down) {
    for (const sum of suffixes(buckets, now, s)) {
      const { upper } = wilsonBounds(sum.successes, sum.failures, s.confidenceZ);
      if (upper < s.downBelow) return { verdict: "down", ...sum, bound: upper };
    }
    return { verdict: "hold", ...whole(buckets, now, s), bound: 1 };
  }
  if (now - current.since < s.minDwellMs) return { verdict: "hold", ...whole(buckets, now, s), bound: 0 };
  // Only what came after going down: the failures that made it go down do not count twice.
  const sinceEpoch = Math.floor(current.since / s.bucketMs);
  for (const sum of suffixes(buckets, now, s, sinceEpoch)) {
    if (sum.successes < s.probeSuccesses) continue;
    const { lower } = wilsonBounds(sum.successes, sum.failures, s.confidenceZ);
    if (lower > s.downLeaveAbove) return { verdict: "up", ...sum, bound: lower };
  }
  return { verdict: "hold", ...whole(buckets, now, s), bound: 0 };
}

function whole(
  buckets: readonly EvidenceBucket[],
  now: number,
  s: Pick<DetectorSettings, "bucketMs" | "windowMs">,
): { successes: number; failures: number } {
  return suffixes(buckets, now, s).at(-1) ?? { successes: 0, failures: 0 };
}
