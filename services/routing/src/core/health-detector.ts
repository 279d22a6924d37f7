/**
 * Whether a channel is down in a district, judged from the evidence the district gives
 * (ADR 0015). Every attempt gives one piece, once: a success when it is delivered or converts
 * (a conversion fills in a receipt that never came: receipts are unreliable, a checked code is
 * not), a failure when its step deadline passes without delivery, when it fails hard, or when the
 * user verifies on another channel after it (the fallback succeeded elsewhere). Before that, an
 * attempt still undelivered past the channel's usual delivery time (its normal p99) is already
 * partial evidence ("overdue"): outcomes are filed under the time the attempt was sent, so what
 * was sent and has no outcome yet is exactly what is still pending.
 *
 * Going down is a sequential test (CUSUM) of the district's own normal delivery rate p0 (a
 * baseline learned from its normal times, starting from a prior) against a collapse to p1
 * (`collapseTo`, or half of p0 when that is lower): the log-likelihood ratio of the most recent
 * evidence, maximised over every suffix of the window's buckets newest first, crossing
 * `threshold`. This is the test built for the fastest detection at a bounded false-alarm rate: a
 * failure where 95 % are delivered weighs ln(0.6/0.05) ≈ 2.5, a delivery ln(0.4/0.95) ≈ −0.9.
 * The statistic only moves when evidence arrives: a window that empties drops its oldest
 * suffixes, which can never create a new reason to change, so a dark district holds.
 *
 * Leaving "down" needs `minDwellMs` and evidence gathered since going down (the probes'): some
 * suffix with at least `probeSuccesses` successes whose Wilson lower bound is above
 * `downLeaveAbove`.
 */

/** Evidence in one time bucket (by the time its attempts were sent). */
export interface EvidenceBucket {
  epoch: number;
  successes: number;
  failures: number;
  /** Attempts sent in this bucket, still undelivered past the channel's usual delivery time. */
  overdue?: number;
}

/** What a district's normal times showed: evidence folded in (decayed), up to bucket `through`. */
export interface Baseline {
  successes: number;
  failures: number;
  through: number;
}

export interface DetectorSettings {
  bucketMs: number;
  windowMs: number;
  /** z of the one-sided bound recovery is judged with (1.645: 95 %). */
  confidenceZ: number;
  /** Delivery rate assumed before a district has shown its own, and its weight in attempts. */
  baselinePrior: number;
  baselinePriorWeight: number;
  /** The collapse tested for (H1): delivery at or below this. */
  collapseTo: number;
  /** Log-likelihood ratio (nats) the recent evidence must reach to go down. */
  threshold: number;
  /** Share of normal deliveries slower than the overdue mark (it is their p99: 0.01). */
  lateShare: number;
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
  /** The CUSUM statistic going down; the Wilson lower bound coming up. */
  bound: number;
}

/** The two rates the test compares: the district's normal p0 and the collapse p1. */
export function hypotheses(baseline: Baseline | undefined, s: DetectorSettings): { p0: number; p1: number } {
  const w = s.baselinePriorWeight;
  const successes = s.baselinePrior * w + (baseline?.successes ?? 0);
  const total = w + (baseline?.successes ?? 0) + (baseline?.failures ?? 0);
  const p0 = Math.min(0.99, Math.max(0.2, successes / total));
  return { p0, p1: Math.min(s.collapseTo, p0 / 2) };
}

/** The CUSUM statistic: the largest log-likelihood ratio of collapse over normal of any recent suffix. */
export function collapseScore(
  buckets: readonly EvidenceBucket[],
  now: number,
  baseline: Baseline | undefined,
  s: DetectorSettings,
): { score: number; successes: number; failures: number } {
  const { p0, p1 } = hypotheses(baseline, s);
  const success = Math.log(p1 / p0);
  const failure = Math.log((1 - p1) / (1 - p0));
  const overdue = Math.log((1 - p1) / (1 - p0 + p0 * s.lateShare));
  let best = { score: 0, successes: 0, failures: 0 };
  let score = 0;
  let successes = 0;
  let failures = 0;
  for (const b of inWindow(buckets, now, s)) {
    score += b.successes * success + b.failures * failure + (b.overdue ?? 0) * overdue;
    successes += b.successes;
    failures += b.failures + (b.overdue ?? 0);
    if (score > best.score) best = { score, successes, failures };
  }
  return best;
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

/** The window's buckets with evidence, newest first (only those after epoch `after`). */
function inWindow(
  buckets: readonly EvidenceBucket[],
  now: number,
  s: Pick<DetectorSettings, "bucketMs" | "windowMs">,
  after = -Infinity,
): EvidenceBucket[] {
  const newest = Math.floor(now / s.bucketMs);
  const oldest = newest - Math.max(1, Math.ceil(s.windowMs / s.bucketMs)) + 1;
  return buckets
    .filter((b) => b.epoch >= oldest && b.epoch <= newest && b.epoch > after)
    .filter((b) => b.successes + b.failures + (b.overdue ?? 0) > 0)
    .sort((a, b) => b.epoch - a.epoch);
}

/** Suffix sums of settled evidence (no overdue) inside the window, newest first. */
function suffixes(
  buckets: readonly EvidenceBucket[],
  now: number,
  s: Pick<DetectorSettings, "bucketMs" | "windowMs">,
  after = -Infinity,
): { successes: number; failures: number }[] {
  const out: { successes: number; failures: number }[] = [];
  let successes = 0;
  let failures = 0;
  for (const b of inWindow(buckets, now, s, after)) {
    if (b.successes + b.failures === 0) continue;
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
  current: { down: boolean; since: number; baseline?: Baseline; evidenceFrom?: number },
  now: number,
  s: DetectorSettings,
): DetectorJudgement {
  if (!current.down) {
    // After coming back up, the outage's evidence is not judged again.
    const from =
      current.evidenceFrom === undefined ? -Infinity : Math.floor(current.evidenceFrom / s.bucketMs);
    const recent = buckets.filter((b) => b.epoch > from);
    const collapse = collapseScore(recent, now, current.baseline, s);
    if (collapse.score >= s.threshold)
      return {
        verdict: "down",
        successes: collapse.successes,
        failures: collapse.failures,
        bound: collapse.score,
      };
    return { verdict: "hold", ...whole(buckets, now, s), bound: collapse.score };
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
