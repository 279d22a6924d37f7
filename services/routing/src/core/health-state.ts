/**
 * Health states from evidence (core/health-detector.ts judges "down"), so routing does not flap:
 * - down is entered as soon as the recent evidence is confidently worse than the district's own
 *   normal (a sequential test against a baseline learned here from its normal times), however
 *   little of it there is, and left only after `minDwellMs` on probe successes confidently good;
 * - no evidence, no change: an empty window keeps the last judgement (a dark district stays
 *   down; it does not decay to unknown);
 * - a channel that is not down is healthy, or degraded when its deliveries are slow (p95 over
 *   the window, judged on `minSamples` deliveries, with hysteresis between the two latency
 *   thresholds); latency alone never makes a channel down: slower than the step's deadline is
 *   already a failure.
 * Latency thresholds are per channel: a voice call takes longer to answer than an SMS to land.
 */
import {
  type Baseline,
  collapseScore,
  type DetectorSettings,
  type EvidenceBucket,
  judge,
} from "./health-detector";
import { type BucketCounts, windowFigures } from "./health-window";
import type { ChannelName, HealthStateName } from "./types";

export interface LatencyThresholds {
  degradedP95Ms: number;
  healthyP95Ms: number;
  downP95Ms: number;
  downLeaveP95Ms: number;
  /**
   * An attempt not delivered this long after it was sent (the channel's usual p99) is partial
   * evidence of failure until `overdueUntilMs` (its step deadline gives the full failure); 0: off.
   */
  overdueMs: number;
  overdueUntilMs: number;
}

export interface HealthThresholds {
  windowMs: number;
  bucketMs: number;
  /** Deliveries in the window before latency is judged; a quarter of it (≥ 2) probe successes to leave down. */
  minSamples: number;
  /** Time "down" lasts at least before it may be left, and a latency state before it improves. */
  minDwellMs: number;
  /** z of the one-sided Wilson bound recovery is judged with (1.645: 95 %). */
  confidenceZ: number;
  degradedBelow: number;
  healthyAbove: number;
  /** Delivery rate a district is assumed to have before its own normal is learned, and its weight. */
  baselinePrior: number;
  baselinePriorWeight: number;
  /** The learned normal keeps about this many attempts (older ones fade), from evidence this old. */
  baselineMemory: number;
  baselineLagMs: number;
  /** The collapse the test looks for: delivery at or below this (or half the normal, if lower). */
  collapseTo: number;
  /** Down when the recent evidence's log-likelihood ratio (collapse over normal) reaches this. */
  downThreshold: number;
  /** Back up when the probes' lower bound on delivery is above this. */
  downLeaveAbove: number;
  latency: Record<ChannelName, LatencyThresholds>;
}

export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = {
  windowMs: 5 * 60_000,
  bucketMs: 10_000,
  minSamples: 20,
  minDwellMs: 60_000,
  confidenceZ: 1.645,
  degradedBelow: 0.85,
  healthyAbove: 0.92,
  baselinePrior: 0.95,
  baselinePriorWeight: 30,
  baselineMemory: 300,
  baselineLagMs: 180_000,
  collapseTo: 0.4,
  downThreshold: 11,
  downLeaveAbove: 0.6,
  latency: {
    // Overdue from 8 s (a WhatsApp message normally lands in under 6 s) to the 20 s deadline of
    // the default workflows' WhatsApp step.
    whatsapp: {
      degradedP95Ms: 10_000,
      healthyP95Ms: 6_000,
      downP95Ms: 30_000,
      downLeaveP95Ms: 20_000,
      overdueMs: 8_000,
      overdueUntilMs: 20_000,
    },
    sms: {
      degradedP95Ms: 20_000,
      healthyP95Ms: 12_000,
      downP95Ms: 60_000,
      downLeaveP95Ms: 40_000,
      overdueMs: 0,
      overdueUntilMs: 0,
    },
    voice: {
      degradedP95Ms: 45_000,
      healthyP95Ms: 30_000,
      downP95Ms: 90_000,
      downLeaveP95Ms: 60_000,
      overdueMs: 0,
      overdueUntilMs: 0,
    },
    // The operator answers in about two seconds when the data path works; a blackout shows first
    // as slow or missing answers.
    silent: {
      degradedP95Ms: 5_000,
      healthyP95Ms: 3_000,
      downP95Ms: 9_000,
      downLeaveP95Ms: 6_000,
      overdueMs: 0,
      overdueUntilMs: 0,
    },
  },
};

export interface SeriesState {
  state: HealthStateName;
  /** When the series entered the state (ms). */
  since: number;
  /** The district's normal delivery, learned from evidence while it was not down. */
  baseline?: Baseline;
  /** When it last came back up: the test for going down again looks only at evidence since. */
  evidenceFrom?: number;
}

export const UNKNOWN_STATE: SeriesState = { state: "unknown", since: 0 };

export function detectorSettings(t: HealthThresholds): DetectorSettings {
  return {
    bucketMs: t.bucketMs,
    windowMs: t.windowMs,
    confidenceZ: t.confidenceZ,
    baselinePrior: t.baselinePrior,
    baselinePriorWeight: t.baselinePriorWeight,
    collapseTo: t.collapseTo,
    threshold: t.downThreshold,
    lateShare: 0.01,
    downLeaveAbove: t.downLeaveAbove,
    probeSuccesses: Math.max(2, Math.ceil(t.minSamples / 4)),
    minDwellMs: t.minDwellMs,
  };
}

/**
 * Successes are deliveries (a conversion without a receipt records one); failures, failures.
 * Outcomes are filed under the bucket their attempt was sent in, so what a bucket sent and has no
 * outcome for is still pending: overdue once the whole bucket is older than the channel's usual
 * delivery time, until its deadline.
 */
export function evidenceOf(
  buckets: readonly BucketCounts[],
  channel?: ChannelName,
  t?: HealthThresholds,
  now = 0,
): EvidenceBucket[] {
  const latency = channel && t ? t.latency[channel] : undefined;
  return buckets.map((b) => {
    const pending = Math.max(0, b.sent - b.delivered - b.failed);
    const overdue =
      latency && latency.overdueMs > 0 && pending > 0 && t
        ? (b.epoch + 1) * t.bucketMs <= now - latency.overdueMs &&
          b.epoch * t.bucketMs > now - latency.overdueUntilMs
        : false;
    return {
      epoch: b.epoch,
      successes: b.delivered,
      failures: b.failed,
      ...(overdue ? { overdue: pending } : {}),
    };
  });
}

/**
 * Folds the settled evidence (older than `baselineLagMs`) of a series that is not down into its
 * baseline; while it is down the evidence is skipped. Old evidence fades so the baseline keeps
 * about `baselineMemory` attempts.
 */
function learnBaseline(
  current: SeriesState,
  buckets: readonly BucketCounts[],
  t: HealthThresholds,
  now: number,
): Baseline {
  const through = Math.floor((now - t.baselineLagMs) / t.bucketMs);
  const before = current.baseline ?? { successes: 0, failures: 0, through: -Infinity };
  if (through <= before.through) return before;
  if (current.state === "down") return { ...before, through };
  let successes = before.successes;
  let failures = before.failures;
  for (const b of buckets) {
    if (b.epoch <= before.through || b.epoch > through) continue;
    successes += b.delivered;
    failures += b.failed;
  }
  const total = successes + failures;
  const fade = total > t.baselineMemory ? t.baselineMemory / total : 1;
  const round = (x: number) => Math.round(x * 100) / 100;
  return { successes: round(successes * fade), failures: round(failures * fade), through };
}

/**
 * How far the recent evidence leans towards a collapse: the CUSUM statistic as a share of the
 * threshold (1: down). Only evidence since the series last came back up counts. Routing hastens a
 * step on a channel leaning `hastenAtLean` of the way (a shorter wait before the fallback) without any state
 * change; the baseline learns nothing meanwhile.
 */
export function collapseLean(
  current: SeriesState,
  buckets: readonly BucketCounts[],
  channel: ChannelName,
  t: HealthThresholds,
  now: number,
): number {
  const settings = detectorSettings(t);
  const recent = evidenceOf(buckets, channel, t, now).filter(
    (b) => current.evidenceFrom === undefined || b.epoch * t.bucketMs > current.evidenceFrom,
  );
  const score = collapseScore(recent, now, current.baseline, settings).score;
  return settings.threshold > 0 && Number.isFinite(settings.threshold) ? score / settings.threshold : 0;
}

const sameBaseline = (a: Baseline | undefined, b: Baseline): boolean =>
  a !== undefined && a.successes === b.successes && a.failures === b.failures && a.through === b.through;

export function nextHealthState(
  current: SeriesState,
  buckets: readonly BucketCounts[],
  channel: ChannelName,
  t: HealthThresholds,
  now: number,
): SeriesState {
  const settings = detectorSettings(t);
  const evidence = evidenceOf(buckets, channel, t, now);
  // While the recent evidence leans towards a collapse, the baseline learns nothing: a slow
  // collapse must not become the district's normal before it is detected.
  const suspicious = collapseLean(current, buckets, channel, t, now) >= 0.5;
  const learned = suspicious
    ? (current.baseline ?? { successes: 0, failures: 0, through: -Infinity })
    : learnBaseline(current, buckets, t, now);
  const nothingYet = current.baseline === undefined && learned.successes + learned.failures === 0;
  const withBaseline =
    nothingYet || sameBaseline(current.baseline, learned) ? current : { ...current, baseline: learned };
  const down = current.state === "down";
  const enter = (state: HealthStateName): SeriesState => {
    if (state === withBaseline.state) return withBaseline;
    const from = down ? now : current.evidenceFrom;
    return {
      state,
      since: now,
      ...(withBaseline.baseline ? { baseline: withBaseline.baseline } : {}),
      ...(from === undefined ? {} : { evidenceFrom: from }),
    };
  };
  const verdict = judge(
    evidence,
    { down, since: current.since, baseline: learned, evidenceFrom: current.evidenceFrom },
    now,
    settings,
  );
  if (verdict.verdict === "down") return enter("down");
  if (down && verdict.verdict !== "up") return withBaseline;
  if (current.state === "unknown" && verdict.verdict === "hold") {
    // First judgement: enough evidence to be confident the channel is not down.
    if (verdict.successes + verdict.failures === 0) return withBaseline;
    const settled = judge(evidence, { down: true, since: -Infinity }, now, { ...settings, minDwellMs: 0 });
    if (settled.verdict !== "up") return withBaseline;
  }
  return enter(
    latencyState(down || current.state === "unknown" ? "healthy" : current, buckets, channel, t, now),
  );
}

/** Healthy or degraded from the window's delivery latency, with hysteresis and dwell time. */
function latencyState(
  current: SeriesState | "healthy",
  buckets: readonly BucketCounts[],
  channel: ChannelName,
  t: HealthThresholds,
  now: number,
): HealthStateName {
  const figures = windowFigures(buckets, now, t);
  const state = current === "healthy" ? "healthy" : current.state;
  if (figures.delivered < t.minSamples) return state;
  const latency = t.latency[channel];
  if (figures.p95Ms > latency.degradedP95Ms) return "degraded";
  if (state !== "degraded") return state;
  const dwelt = current !== "healthy" && now - current.since >= t.minDwellMs;
  return dwelt && figures.p95Ms <= latency.healthyP95Ms ? "healthy" : "degraded";
}
