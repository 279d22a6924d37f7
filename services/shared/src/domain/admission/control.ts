/**
 * The admission controller, run once a tick (100 ms) off the request path: from the load signals
 * and what was offered and admitted during the tick, how many new starts a second the server
 * takes while it is limiting, each tenant's share of them, and how long refused callers are told
 * to wait. Additive increase while there is room, multiplicative decrease when a signal is past
 * its limit (TCP's AIMD, Netflix concurrency-limits' shape), so the admitted rate settles just
 * under what the machine carries instead of at a number someone guessed. Pure.
 */
import { type Claim, fairShares } from "./fair-share";
import { type Load, type LoadLimits, loadOf, type Signals } from "./load";

export interface AdmissionSettings extends LoadLimits {
  /** The admitted start rate never goes below this while limiting. */
  minStartsPerSec: number;
  /** Limiting ends once the load is below this and nothing is being refused. */
  releaseLoad: number;
  /** Past this load, reads (GetVerification, WatchVerification) are refused too. */
  criticalLoad: number;
  /** RetryInfo: the delay at load 1 with no backlog, and its ceiling. */
  retryMinMs: number;
  retryMaxMs: number;
  /** A tenant's bucket holds this many seconds of its share (bursts within a tick). */
  burstSeconds: number;
}

export const DEFAULT_SETTINGS: AdmissionSettings = {
  eluTarget: 0.85,
  loopLagMs: 30,
  maxInFlight: 2_000,
  backlog: 0,
  minStartsPerSec: 5,
  releaseLoad: 0.7,
  criticalLoad: 1.5,
  retryMinMs: 250,
  retryMaxMs: 30_000,
  burstSeconds: 0.25,
};

/** Starts one tenant offered during the tick; weight = its contracted rate. */
export interface TenantTick {
  key: string;
  weight: number;
  offered: number;
}

export interface Tick {
  dtMs: number;
  signals: Signals;
  admittedStarts: number;
  tenants: readonly TenantTick[];
}

export interface Control {
  /** The load the controller acts on: the median of the last ticks' readings. */
  load: Load;
  /** The last ticks' readings, newest last (a single tick's spike moves nothing). */
  readings: readonly Load[];
  /** While limiting, starts need a token from their tenant's share. */
  limiting: boolean;
  /** The start rate admitted while limiting, all tenants together. */
  startsPerSec: number;
  /** Smoothed admitted and offered start rates. */
  admittedPerSec: number;
  demand: ReadonlyMap<string, number>;
  weights: ReadonlyMap<string, number>;
  shares: ReadonlyMap<string, number>;
  /** What refusals say now, before jitter. */
  retryAfterMs: number;
  backlog: number;
}

export function initialControl(s: AdmissionSettings): Control {
  return {
    load: { value: 0, source: "elu" },
    readings: [],
    limiting: false,
    startsPerSec: s.minStartsPerSec,
    admittedPerSec: 0,
    demand: new Map(),
    weights: new Map(),
    shares: new Map(),
    retryAfterMs: s.retryMinMs,
    backlog: 0,
  };
}

/** Smoothing over ticks: half the new reading, half the past, so one odd tick moves it half way. */
const ewma = (previous: number, reading: number): number => (previous + reading) / 2;
/**
 * Demand is smoothed over about a second (a fifth per 100 ms tick): a tenant at 1 call a second
 * offers nothing in nine ticks out of ten, and a faster average would forget it between calls.
 */
const slowEwma = (previous: number, reading: number): number => previous + (reading - previous) / 5;
const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** Tenants asking for less than this a second are forgotten. */
const FORGET_BELOW = 0.05;
/** A tenant's demand is inflated by this before sharing, so normal jitter is not refused. */
const HEADROOM = 1.25;

/** Ticks the load is the median of: one odd tick (a GC pause, a neighbour's burst) is outvoted. */
const READINGS = 3;

function medianLoad(readings: readonly Load[]): Load {
  const sorted = [...readings].sort((a, b) => a.value - b.value);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? { value: 0, source: "elu" };
}

export function nextControl(c: Control, t: Tick, s: AdmissionSettings): Control {
  const perSec = 1000 / Math.max(1, t.dtMs);
  const readings = [...c.readings, loadOf(t.signals, s)].slice(-READINGS);
  const load = medianLoad(readings);
  const admittedPerSec = ewma(c.admittedPerSec, t.admittedStarts * perSec);
  const { demand, weights } = tenantDemand(c, t, perSec);
  const offered = [...demand.values()].reduce((sum, d) => sum + d, 0);
  const { limiting, startsPerSec } = nextRate(c, load, admittedPerSec, offered, s);
  const claims: Claim[] = [...demand].map(([key, d]) => ({
    key,
    weight: weights.get(key) ?? 1,
    demand: d * HEADROOM,
  }));
  const backlogFactor = s.backlog > 0 ? 1 + t.signals.backlog / s.backlog : 1;
  return {
    load,
    readings,
    limiting,
    startsPerSec,
    admittedPerSec,
    demand,
    weights,
    shares: limiting ? guaranteedShares(startsPerSec, claims) : new Map(),
    retryAfterMs: clamp(s.retryMinMs * Math.max(1, load.value) * backlogFactor, s.retryMinMs, s.retryMaxMs),
    backlog: t.signals.backlog,
  };
}

function tenantDemand(
  c: Control,
  t: Tick,
  perSec: number,
): { demand: Map<string, number>; weights: Map<string, number> } {
  const demand = new Map<string, number>();
  const weights = new Map(c.weights);
  const offered = new Map(t.tenants.map((x) => [x.key, x]));
  for (const x of t.tenants) weights.set(x.key, x.weight);
  for (const key of new Set([...c.demand.keys(), ...offered.keys()])) {
    const d = slowEwma(c.demand.get(key) ?? 0, (offered.get(key)?.offered ?? 0) * perSec);
    if (d >= FORGET_BELOW) demand.set(key, d);
    else weights.delete(key);
  }
  return { demand, weights };
}

function nextRate(
  c: Control,
  load: Load,
  admittedPerSec: number,
  offered: number,
  s: AdmissionSettings,
): { limiting: boolean; startsPerSec: number } {
  const floor = s.minStartsPerSec;
  if (load.value > 1) {
    // Cut from what actually got in, not from a budget nobody used.
    const from = c.limiting
      ? Math.min(c.startsPerSec, Math.max(admittedPerSec, floor))
      : Math.max(admittedPerSec, floor);
    return { limiting: true, startsPerSec: Math.max(floor, from * clamp(1 / load.value, 0.5, 0.95)) };
  }
  if (!c.limiting) return { limiting: false, startsPerSec: Math.max(floor, admittedPerSec * HEADROOM) };
  const refusing = offered > c.startsPerSec;
  if (load.value < s.releaseLoad && !refusing) {
    return { limiting: false, startsPerSec: Math.max(floor, admittedPerSec * HEADROOM) };
  }
  // Probe upward while callers are refused, faster the more room the signals show.
  const grown = refusing ? c.startsPerSec * (1 + 0.2 * (1 - load.value)) + 1 : c.startsPerSec;
  return { limiting: true, startsPerSec: grown };
}

/**
 * Max-min fair shares, except that a tenant asking for less than its weighted part of the total
 * keeps that whole part: what it does not use is lent to the surging tenant for this tick only,
 * so its next calls never wait for the controller to notice them. The lent part can overshoot
 * the total by at most the idle tenants' unused reserve, for one tick.
 */
function guaranteedShares(total: number, claims: readonly Claim[]): Map<string, number> {
  const shares = fairShares(total, claims);
  const weights = claims.reduce((sum, c) => sum + c.weight, 0);
  for (const c of claims) {
    const reserved = (total * c.weight) / weights;
    if ((shares.get(c.key) ?? 0) < reserved && c.demand <= reserved) shares.set(c.key, reserved);
  }
  return shares;
}

/**
 * A tenant's share while limiting; a tenant first seen since the last tick gets its weight's
 * part of the total until the next tick counts it.
 */
export function shareOf(c: Control, key: string, weight: number): number {
  const known = c.shares.get(key);
  if (known !== undefined) return known;
  const weights = [...c.weights.values()].reduce((sum, w) => sum + w, 0) + weight;
  return (c.startsPerSec * weight) / weights;
}
