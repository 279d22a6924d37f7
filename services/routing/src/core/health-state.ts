/**
 * Health states from evidence (core/health-detector.ts judges "down"), so routing does not flap:
 * - down is entered as soon as the recent evidence is confidently bad, however little of it there
 *   is, and left only after `minDwellMs` on probe successes confidently good;
 * - no evidence, no change: an empty window keeps the last judgement (a dark district stays
 *   down; it does not decay to unknown);
 * - a channel that is not down is healthy, or degraded when its deliveries are slow (p95 over
 *   the window, judged on `minSamples` deliveries, with hysteresis between the two latency
 *   thresholds); latency alone never makes a channel down: slower than the step's deadline is
 *   already a failure.
 * Latency thresholds are per channel: a voice call takes longer to answer than an SMS to land.
 */
import { type DetectorSettings, type EvidenceBucket, judge } from "./health-detector";
import { type BucketCounts, windowFigures } from "./health-window";
import type { ChannelName, HealthStateName } from "./types";

export interface LatencyThresholds {
  degradedP95Ms: number;
  healthyP95Ms: number;
  downP95Ms: number;
  downLeaveP95Ms: number;
}

export interface HealthThresholds {
  windowMs: number;
  bucketMs: number;
  /** Deliveries in the window before latency is judged; a quarter of it (≥ 2) probe successes to leave down. */
  minSamples: number;
  /** Time "down" lasts at least before it may be left, and a latency state before it improves. */
  minDwellMs: number;
  /** z of the one-sided Wilson bounds the detector judges with (1.645: 95 %). */
  confidenceZ: number;
  degradedBelow: number;
  healthyAbove: number;
  /** Down when the recent evidence's upper bound on delivery is below this. */
  downBelow: number;
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
  downBelow: 0.5,
  downLeaveAbove: 0.6,
  latency: {
    whatsapp: { degradedP95Ms: 10_000, healthyP95Ms: 6_000, downP95Ms: 30_000, downLeaveP95Ms: 20_000 },
    sms: { degradedP95Ms: 20_000, healthyP95Ms: 12_000, downP95Ms: 60_000, downLeaveP95Ms: 40_000 },
    voice: { degradedP95Ms: 45_000, healthyP95Ms: 30_000, downP95Ms: 90_000, downLeaveP95Ms: 60_000 },
    // The operator answers in about two seconds when the data path works; a blackout shows first
    // as slow or missing answers.
    silent: { degradedP95Ms: 5_000, healthyP95Ms: 3_000, downP95Ms: 9_000, downLeaveP95Ms: 6_000 },
  },
};

export interface SeriesState {
  state: HealthStateName;
  /** When the series entered the state (ms). */
  since: number;
}

export const UNKNOWN_STATE: SeriesState = { state: "unknown", since: 0 };

export function detectorSettings(t: HealthThresholds): DetectorSettings {
  return {
    bucketMs: t.bucketMs,
    windowMs: t.windowMs,
    confidenceZ: t.confidenceZ,
    downBelow: t.downBelow,
    downLeaveAbove: t.downLeaveAbove,
    probeSuccesses: Math.max(2, Math.ceil(t.minSamples / 4)),
    minDwellMs: t.minDwellMs,
  };
}

/** Successes are deliveries (a conversion without a receipt records one); failures, failures. */
export const evidenceOf = (buckets: readonly BucketCounts[]): EvidenceBucket[] =>
  buckets.map((b) => ({ epoch: b.epoch, successes: b.delivered, failures: b.failed }));

export function nextHealthState(
  current: SeriesState,
  buckets: readonly BucketCounts[],
  channel: ChannelName,
  t: HealthThresholds,
  now: number,
): SeriesState {
  const enter = (state: HealthStateName): SeriesState =>
    state === current.state ? current : { state, since: now };
  const settings = detectorSettings(t);
  const evidence = evidenceOf(buckets);
  const down = current.state === "down";
  const verdict = judge(evidence, { down, since: current.since }, now, settings);
  if (verdict.verdict === "down") return enter("down");
  if (down && verdict.verdict !== "up") return current;
  if (current.state === "unknown" && verdict.verdict === "hold") {
    // First judgement: enough evidence to be confident the channel is not down.
    if (verdict.successes + verdict.failures === 0) return current;
    const settled = judge(evidence, { down: true, since: -Infinity }, now, { ...settings, minDwellMs: 0 });
    if (settled.verdict !== "up") return current;
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
