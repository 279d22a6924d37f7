/**
 * Health states with hysteresis, so routing does not flap:
 * - too few finished attempts in the window: the state stays as it is (unknown at first), except
 *   that a down channel is judged on a quarter of the samples (only probes reach it), and a
 *   window left empty for a whole window length makes any state unknown again;
 * - getting worse is immediate (healthy → degraded → down as soon as a threshold is crossed);
 * - getting better needs clearly better figures than those that made it worse (leave "down"
 *   above `downLeaveAbove`, not just above `downBelow`) and a minimum time in the state.
 * Latency thresholds are per channel: a voice call takes longer to answer than an SMS to land.
 */
import type { WindowFigures } from "./health-window";
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
  /** Finished attempts in the window before a state is judged. */
  minSamples: number;
  /** Time a state lasts at least before it may improve. */
  minDwellMs: number;
  degradedBelow: number;
  healthyAbove: number;
  downBelow: number;
  downLeaveAbove: number;
  latency: Record<ChannelName, LatencyThresholds>;
}

export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = {
  windowMs: 5 * 60_000,
  bucketMs: 10_000,
  minSamples: 20,
  minDwellMs: 60_000,
  degradedBelow: 0.85,
  healthyAbove: 0.92,
  downBelow: 0.5,
  downLeaveAbove: 0.75,
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

/** The state a series would enter from a good state, with the entering thresholds. */
export function classify(
  figures: WindowFigures,
  latency: LatencyThresholds,
  t: HealthThresholds,
): HealthStateName {
  const p95 = figures.delivered > 0 ? figures.p95Ms : 0;
  if (figures.deliveryRate < t.downBelow || p95 > latency.downP95Ms) return "down";
  if (figures.deliveryRate < t.degradedBelow || p95 > latency.degradedP95Ms) return "degraded";
  return "healthy";
}

export function nextHealthState(
  current: SeriesState,
  figures: WindowFigures,
  channel: ChannelName,
  t: HealthThresholds,
  now: number,
): SeriesState {
  // A window with no finished attempt at all, for a whole window: nothing left to judge on.
  if (figures.sampleSize === 0 && current.state !== "unknown" && now - current.since >= t.windowMs) {
    return { state: "unknown", since: now };
  }
  // Leaving "down" is judged on fewer samples: only the probes still use a down channel.
  const needed = current.state === "down" ? Math.max(1, Math.ceil(t.minSamples / 4)) : t.minSamples;
  if (figures.sampleSize < needed) return current;
  const latency = t.latency[channel];
  const target = classify(figures, latency, t);
  const enter = (state: HealthStateName): SeriesState =>
    state === current.state ? current : { state, since: now };
  const dwelt = now - current.since >= t.minDwellMs;
  const p95 = figures.delivered > 0 ? figures.p95Ms : 0;
  const healthyAgain = figures.deliveryRate >= t.healthyAbove && p95 <= latency.healthyP95Ms;
  switch (current.state) {
    case "unknown":
      return enter(target);
    case "healthy":
      return enter(target);
    case "degraded":
      if (target === "down") return enter("down");
      return dwelt && healthyAgain ? enter("healthy") : current;
    case "down": {
      const leaving = figures.deliveryRate >= t.downLeaveAbove && p95 <= latency.downLeaveP95Ms;
      if (!dwelt || !leaving) return current;
      return enter(healthyAgain ? "healthy" : "degraded");
    }
  }
}
