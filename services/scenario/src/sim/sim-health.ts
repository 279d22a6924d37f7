/**
 * Channel health for a simulated strategy: the same buckets and the same judgement
 * (core/health-state.ts) routing replicas share through the store, kept in memory, judged once
 * a simulated second like the health monitor; or, for the oracle, the true state.
 */
import {
  collapseLean,
  DEFAULT_HEALTH_THRESHOLDS,
  type HealthThresholds,
  nextHealthState,
  type SeriesState,
  UNKNOWN_STATE,
} from "@services/routing/src/core/health-state";
import {
  type BucketCounts,
  HISTOGRAM_SIZE,
  incrementsOf,
  windowFigures,
} from "@services/routing/src/core/health-window";
import type { ChannelName, HealthFigures, HealthSample, HealthView } from "@services/routing/src/core/types";
import type { ScenarioFile } from "../scenario-file";
import { conditionsAt } from "./model";

export interface HealthChange {
  at: number;
  district: string;
  channel: ChannelName;
  from: string;
  to: string;
}

export interface SimHealth {
  record(at: number, district: string, channel: ChannelName, sample: HealthSample): void;
  evaluate(now: number): void;
  view(district: string, now: number): HealthView;
  changes: HealthChange[];
  /** The window outcomes are filed in (by send time while their bucket is still in it). */
  shape: { windowMs: number; bucketMs: number };
}

const CHANNELS: ChannelName[] = ["whatsapp", "sms", "voice"];

export function healthThresholds(s: ScenarioFile): HealthThresholds {
  return {
    ...DEFAULT_HEALTH_THRESHOLDS,
    minSamples: s.health.minSamples,
    windowMs: s.health.windowSeconds * 1000,
    bucketMs: s.health.bucketSeconds * 1000,
    minDwellMs: s.health.minDwellSeconds * 1000,
  };
}

const figures = (
  channel: ChannelName,
  district: string,
  state: SeriesState["state"],
  rate = 0,
  n = 0,
): HealthFigures => ({
  channel,
  route: "",
  district,
  operator: "",
  deliveryRate: rate,
  conversionRate: 0,
  p50Ms: 0,
  p95Ms: 0,
  sampleSize: n,
  state,
});

export function detectorHealth(t: HealthThresholds): SimHealth {
  const series = new Map<
    string,
    { district: string; channel: ChannelName; buckets: Map<number, BucketCounts>; state: SeriesState }
  >();
  const changes: HealthChange[] = [];
  const get = (district: string, channel: ChannelName) => {
    const key = `${district}|${channel}`;
    let s = series.get(key);
    if (!s) series.set(key, (s = { district, channel, buckets: new Map(), state: UNKNOWN_STATE }));
    return s;
  };
  return {
    changes,
    shape: t,
    record(at, district, channel, sample) {
      const s = get(district, channel);
      const epoch = Math.floor(at / t.bucketMs);
      let b = s.buckets.get(epoch);
      if (!b) {
        b = {
          epoch,
          sent: 0,
          delivered: 0,
          failed: 0,
          verified: 0,
          histogram: new Array<number>(HISTOGRAM_SIZE).fill(0),
        };
        s.buckets.set(epoch, b);
        for (const old of s.buckets.keys())
          if (old < epoch - t.windowMs / t.bucketMs - 1) s.buckets.delete(old);
      }
      const [sent, delivered, failed, verified, h] = incrementsOf(sample);
      b.sent = Math.max(0, b.sent + sent);
      b.delivered += delivered;
      b.failed += failed;
      b.verified += verified;
      if (h >= 0) b.histogram[h]! += 1;
    },
    evaluate(now) {
      for (const s of series.values()) {
        const next = nextHealthState(s.state, [...s.buckets.values()], s.channel, t, now);
        if (next.state !== s.state.state) {
          changes.push({
            at: now,
            district: s.district,
            channel: s.channel,
            from: s.state.state,
            to: next.state,
          });
        }
        s.state = next;
      }
    },
    view(district, now) {
      const view: HealthView = { channels: {}, routes: {}, attemptsPerMinute: 0 };
      for (const c of CHANNELS) {
        const s = series.get(`${district}|${c}`);
        if (!s) continue;
        const w = windowFigures([...s.buckets.values()], now, t);
        view.channels[c] = {
          ...figures(c, district, s.state.state, w.deliveryRate, w.sampleSize),
          collapseLean: collapseLean(s.state, [...s.buckets.values()], c, t, now),
        };
        view.attemptsPerMinute! += w.sampleSize / (t.windowMs / 60_000);
      }
      return view;
    },
  };
}

/** Whether a channel is truly down in a district at `second`: it reaches fewer than half its users. */
export function trulyDown(s: ScenarioFile, district: string, channel: ChannelName, second: number): boolean {
  if (channel === "silent") return false;
  const c = conditionsAt(s, district, second);
  return c.delivery[channel] * (1 - c.darkShare) < 0.5;
}

export function oracleHealth(s: ScenarioFile): SimHealth {
  const changes: HealthChange[] = [];
  const last = new Map<string, string>();
  return {
    changes,
    shape: DEFAULT_HEALTH_THRESHOLDS,
    record() {},
    evaluate(now) {
      for (const d of s.districts)
        for (const c of CHANNELS) {
          const state = trulyDown(s, d.name, c, now / 1000) ? "down" : "healthy";
          const key = `${d.name}|${c}`;
          const before = last.get(key) ?? "unknown";
          if (before !== state)
            changes.push({ at: now, district: d.name, channel: c, from: before, to: state });
          last.set(key, state);
        }
    },
    view(district, now) {
      const view: HealthView = { channels: {}, routes: {} };
      for (const c of CHANNELS)
        view.channels[c] = figures(
          c,
          district,
          trulyDown(s, district, c, now / 1000) ? "down" : "healthy",
          1,
          100,
        );
      return view;
    },
  };
}
