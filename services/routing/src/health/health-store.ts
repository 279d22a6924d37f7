/**
 * Channel health kept in the store (see store-scripts/health.ts): receipts and dispatches are
 * recorded by whichever replica handles them; every replica reads the same figures, cached for
 * a moment, and the same states. Nothing here decides anything: window sums and state
 * transitions are the pure functions of core/health-*.ts.
 */
import { CHANNELS } from "@domain/policy/types";
import type { Store } from "@platform/store/port";
import {
  collapseLean,
  nextHealthState,
  type HealthThresholds,
  type SeriesState,
  UNKNOWN_STATE,
} from "../core/health-state";
import {
  BUCKET_FIELDS_COUNT,
  type BucketCounts,
  incrementsOf,
  slotsOf,
  windowFigures,
} from "../core/health-window";
import { filedAt, type HealthObservation } from "../core/health-observations";
import { routeHealthKey } from "../core/routes";
import type { ChannelName, HealthFigures, HealthSample, HealthStateName, HealthView } from "../core/types";
import {
  readHealthIndex,
  readHealthScope,
  recordHealth,
  type SeriesIncrement,
  touchHealthIndex,
  transitionHealth,
} from "../store-scripts";

export interface HealthSettings extends HealthThresholds {
  /** How long a replica reuses a scope it read. */
  cacheMs: number;
  /** How long samples gather in memory before one batched write per scope. */
  flushMs: number;
}

export interface HealthTransition {
  scope: string;
  figures: HealthFigures;
  previous: HealthStateName;
  next: SeriesState;
}

export interface HealthRepository {
  /** Adds samples to this replica's tally; `flush` writes the tally, one script per scope. */
  record(observations: readonly HealthObservation[]): void;
  /** Writes the samples gathered since the last write, if `flushMs` has passed (or `force`). */
  flush(now: number, force?: boolean): Promise<void>;
  /** What a routing decision needs for a district and an operator (cached). */
  view(district: string, operator: string, now: number): Promise<HealthView>;
  /** Every series of a district: its channels, then its routes (fresh when `fresh`). */
  districtFigures(district: string, now: number, fresh?: boolean): Promise<HealthFigures[]>;
  /** Districts with health written within the scope's lifetime. */
  districts(now: number): Promise<string[]>;
  /** Scopes written since the last call. */
  takeDirtyScopes(): string[];
  /** Every scope written within its lifetime (districts and operators). */
  knownScopes(now: number): Promise<string[]>;
  /** Moves the scope's series to the state their figures call for; returns the changes this call made. */
  evaluate(scope: string, now: number): Promise<HealthTransition[]>;
}

export const districtScope = (district: string): string => `d:${encodeURIComponent(district).slice(0, 96)}`;
const operatorScope = (operator: string): string => `o:${encodeURIComponent(operator).slice(0, 96)}`;

const INDEX_TOUCH_EVERY_MS = 5_000;

interface SeriesData {
  channel: ChannelName;
  route: string;
  buckets: BucketCounts[];
  state: SeriesState;
  /** The stored state field, "" when absent: transitions compare against it. */
  stateRaw: string;
}

/** What one replica holds of the store's health: its cache, its unwritten tally, dirty scopes. */
interface HealthReplica {
  store: Store;
  settings: HealthSettings;
  scopeTtlMs: number;
  cache: Map<string, { readAt: number; series: Map<string, SeriesData> }>;
  indexTouched: Map<string, number>;
  dirty: Set<string>;
  tally: ReturnType<typeof createHealthTally>;
  lastFlush: number;
}

export function createHealthRepository(store: Store, settings: HealthSettings): HealthRepository {
  const replica: HealthReplica = {
    store,
    settings,
    scopeTtlMs: Math.max(settings.windowMs * 4, 10 * 60_000),
    cache: new Map(),
    indexTouched: new Map(),
    dirty: new Set(),
    tally: createHealthTally(settings.bucketMs),
    lastFlush: 0,
  };
  return {
    record: (observations) => record(replica, observations),
    flush: (now, force = false) => flush(replica, now, force),
    view: (district, operator, now) => view(replica, district, operator, now),
    async districtFigures(district, now, fresh = false) {
      const scope = districtScope(district);
      const all = [...(await readScope(replica, scope, now, fresh)).values()].map((d) =>
        figuresOf(settings, d, scope, now),
      );
      const order = (f: HealthFigures) => CHANNELS.indexOf(f.channel) + (f.route === "" ? 0 : 10);
      return all.sort((a, b) => order(a) - order(b) || a.route.localeCompare(b.route));
    },
    async districts(now) {
      const scopes = await store.run(readHealthIndex, { nowMs: now, maxAgeMs: replica.scopeTtlMs });
      return scopes
        .filter((s) => s.startsWith("d:"))
        .map((s) => scopePlace(s).district)
        .sort();
    },
    knownScopes: (now) => store.run(readHealthIndex, { nowMs: now, maxAgeMs: replica.scopeTtlMs }),
    takeDirtyScopes() {
      const scopes = [...replica.dirty];
      replica.dirty.clear();
      return scopes;
    },
    evaluate: (scope, now) => evaluate(replica, scope, now),
  };
}

async function readScope(
  replica: HealthReplica,
  scope: string,
  now: number,
  fresh = false,
): Promise<Map<string, SeriesData>> {
  const cached = replica.cache.get(scope);
  if (!fresh && cached && now - cached.readAt < replica.settings.cacheMs) return cached.series;
  const series = parseScope(await replica.store.run(readHealthScope, scope));
  replica.cache.set(scope, { readAt: now, series });
  return series;
}

function figuresOf(settings: HealthSettings, data: SeriesData, scope: string, now: number): HealthFigures {
  const window = windowFigures(data.buckets, now, settings);
  const place = scopePlace(scope);
  return {
    channel: data.channel,
    route: data.route,
    district: place.district,
    operator: place.operator,
    deliveryRate: window.deliveryRate,
    conversionRate: window.conversionRate,
    p50Ms: window.p50Ms,
    p95Ms: window.p95Ms,
    sampleSize: window.sampleSize,
    state: data.state.state,
    collapseLean: collapseLean(data.state, data.buckets, data.channel, settings, now),
  };
}

async function touchIndex(replica: HealthReplica, scope: string, at: number): Promise<void> {
  if (at - (replica.indexTouched.get(scope) ?? -Infinity) < INDEX_TOUCH_EVERY_MS) return;
  replica.indexTouched.set(scope, at);
  await replica.store.run(touchHealthIndex, { scope, atMs: at });
}

function record(replica: HealthReplica, observations: readonly HealthObservation[]): void {
  const { tally } = replica;
  for (const o of observations) {
    const at = filedAt(o, replica.settings);
    if (at === undefined) continue;
    tally.add(districtScope(o.district), at, o.channel, o.sample);
    if (o.route) tally.add(districtScope(o.district), at, routeHealthKey(o.channel, o.route), o.sample);
    if (o.channel === "sms" && o.operator && o.route) {
      tally.add(operatorScope(o.operator), at, routeHealthKey(o.channel, o.route), o.sample);
    }
  }
}

async function flush(replica: HealthReplica, now: number, force: boolean): Promise<void> {
  const { settings } = replica;
  if (!force && now - replica.lastFlush < settings.flushMs) return;
  replica.lastFlush = now;
  const batches = replica.tally.take();
  await Promise.all(
    batches.map(async ({ scope, at, increments }) => {
      await replica.store.run(recordHealth, {
        scope,
        atMs: Math.max(0, Math.floor(at)),
        bucketMs: settings.bucketMs,
        slots: slotsOf(settings),
        ttlMs: replica.scopeTtlMs,
        increments,
      });
      replica.dirty.add(scope);
      replica.cache.delete(scope);
      await touchIndex(replica, scope, at);
    }),
  );
}

async function view(
  replica: HealthReplica,
  district: string,
  operator: string,
  now: number,
): Promise<HealthView> {
  const { settings } = replica;
  const view: HealthView = { channels: {}, routes: {} };
  const scope = districtScope(district);
  let attempts = 0;
  for (const data of (await readScope(replica, scope, now)).values()) {
    const figures = figuresOf(settings, data, scope, now);
    if (data.route === "") attempts += figures.sampleSize;
    if (data.route === "") view.channels[data.channel] = figures;
    else if (data.channel !== "sms") view.routes[routeHealthKey(data.channel, data.route)] = figures;
  }
  view.attemptsPerMinute = attempts / (settings.windowMs / 60_000);
  if (operator) {
    const opScope = operatorScope(operator);
    for (const data of (await readScope(replica, opScope, now)).values()) {
      view.routes[routeHealthKey(data.channel, data.route)] = figuresOf(settings, data, opScope, now);
    }
  }
  return view;
}

async function evaluate(replica: HealthReplica, scope: string, now: number): Promise<HealthTransition[]> {
  const { settings } = replica;
  const series = await readScope(replica, scope, now, true);
  const transitions: HealthTransition[] = [];
  for (const [name, data] of series) {
    const next = nextHealthState(data.state, data.buckets, data.channel, settings, now);
    const raw = stateText(next);
    // The state, or only the learned baseline, changed: written either way, announced only
    // when the state did.
    if (raw === data.stateRaw) continue;
    const won = await replica.store.run(transitionHealth, {
      scope,
      series: name,
      expected: data.stateRaw,
      next: raw,
      ttlMs: replica.scopeTtlMs,
    });
    if (!won) continue;
    const previous = data.state;
    series.set(name, { ...data, state: next, stateRaw: raw });
    if (next.state === previous.state && next.since === previous.since) continue;
    transitions.push({
      scope,
      previous: previous.state,
      next,
      figures: figuresOf(settings, { ...data, state: next }, scope, now),
    });
  }
  return transitions;
}

function scopePlace(scope: string): { district: string; operator: string } {
  const name = decodeURIComponent(scope.slice(2));
  return scope.startsWith("o:") ? { district: "", operator: name } : { district: name, operator: "" };
}

/** Turns a scope hash's fields into its series: buckets and state. */
function parseScope(fields: Record<string, string>): Map<string, SeriesData> {
  const series = new Map<string, SeriesData>();
  const entry = (name: string): SeriesData | undefined => {
    const existing = series.get(name);
    if (existing) return existing;
    const [channel, route = ""] = name.split("/", 2) as [string, string?];
    if (!(CHANNELS as readonly string[]).includes(channel)) return undefined;
    const created: SeriesData = {
      channel: channel as ChannelName,
      route,
      buckets: [],
      state: UNKNOWN_STATE,
      stateRaw: "",
    };
    series.set(name, created);
    return created;
  };
  for (const [field, value] of Object.entries(fields)) {
    const [kind, name = ""] = field.split("|");
    if (kind === "b") {
      const counts = value.split(",").map(Number);
      if (counts.length !== BUCKET_FIELDS_COUNT) continue;
      entry(name)?.buckets.push({
        epoch: counts[0]!,
        sent: counts[1]!,
        delivered: counts[2]!,
        failed: counts[3]!,
        verified: counts[4]!,
        histogram: counts.slice(5),
      });
    } else if (kind === "s") {
      const data = entry(name);
      const parsed = parseStateText(value);
      if (data && parsed) {
        data.state = parsed;
        data.stateRaw = value;
      }
    }
  }
  return series;
}

/**
 * "<state>,<since>", then, once learned, ",<baseline successes>,<failures>,<through epoch>", then
 * ",<evidence from>" once it came back up from down.
 */
function stateText(s: SeriesState): string {
  const b = s.baseline;
  const base = b && Number.isFinite(b.through) ? `,${b.successes},${b.failures},${b.through}` : ",,,";
  const from = s.evidenceFrom === undefined ? "" : `,${s.evidenceFrom}`;
  const text = `${s.state},${s.since}${base}${from}`;
  return text.endsWith(",,,") ? text.slice(0, -3) : text;
}

function parseStateText(value: string): SeriesState | undefined {
  const [state = "unknown", since = "0", successes = "", failures = "", through = "", from = ""] =
    value.split(",");
  if (!isStateName(state)) return undefined;
  const parsed: SeriesState = { state, since: Number(since) };
  const baseline = { successes: Number(successes), failures: Number(failures), through: Number(through) };
  if (through !== "" && [baseline.successes, baseline.failures, baseline.through].every(Number.isFinite))
    parsed.baseline = baseline;
  if (from !== "" && Number.isFinite(Number(from))) parsed.evidenceFrom = Number(from);
  return parsed;
}

function isStateName(value: string): value is HealthStateName {
  return value === "healthy" || value === "degraded" || value === "down" || value === "unknown";
}

interface ScopeBatch {
  scope: string;
  /** A time within the bucket the increments belong to. */
  at: number;
  increments: SeriesIncrement[];
}

/**
 * Samples summed in memory per scope, bucket and series (and latency slot), so a replica writes
 * each scope once per flush however many samples it saw.
 */
function createHealthTally(bucketMs: number) {
  let batches = new Map<string, { scope: string; at: number; bySeries: Map<string, SeriesIncrement> }>();
  return {
    add(scope: string, at: number, series: string, sample: HealthSample) {
      const key = `${scope}@${Math.floor(at / bucketMs)}`;
      let batch = batches.get(key);
      if (!batch) batches.set(key, (batch = { scope, at, bySeries: new Map() }));
      batch.at = Math.max(batch.at, at);
      const [sent, delivered, failed, verified, histogramIndex] = incrementsOf(sample);
      const seriesKey = `${series}|${histogramIndex}`;
      const sum = batch.bySeries.get(seriesKey);
      if (sum) {
        sum.sent += sent;
        sum.delivered += delivered;
        sum.failed += failed;
        sum.verified += verified;
      } else {
        batch.bySeries.set(seriesKey, { series, sent, delivered, failed, verified, histogramIndex });
      }
    },
    take(): ScopeBatch[] {
      const taken = [...batches.values()].map((b) => ({
        scope: b.scope,
        at: b.at,
        increments: [...b.bySeries.values()],
      }));
      batches = new Map();
      return taken;
    },
  };
}
