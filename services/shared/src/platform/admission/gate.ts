/**
 * The admission gate a gRPC server consults before it spends anything on a call: one decision
 * (decide.ts) against the controller's latest state, a counter, and — when refused — a status
 * built in advance, so a refusal costs a map lookup and a write, not a trip through the handler.
 * Once a tick it samples the signals and runs the controller; once a second it writes one
 * summary line of what it refused (a line per refusal would cost more than the refusals).
 */
import type { StatusObject } from "@grpc/grpc-js";
import type { Logger } from "../log";
import {
  type AdmissionSettings,
  type Control,
  initialControl,
  nextControl,
  shareOf,
} from "@domain/admission/control";
import { type Bucket, type CallClass, decide, type RefusalReason } from "@domain/admission/decide";

export interface RefusalCount {
  cls: CallClass;
  reason: RefusalReason;
  count: number;
}

export interface GateDeps {
  settings: AdmissionSettings;
  /** Event-loop utilisation and lag since the previous call. */
  sampleLoop: () => { elu: number; loopLagMs: number };
  /** The pipeline's backlog (messages), as last read; none: no backlog signal. */
  backlog?: () => number;
  /** A tenant's weight: its contracted rate. */
  weightOf: (tenant: string) => number;
  /** The OTP_OVERLOADED status (with RetryInfo) for a delay; built once per distinct delay. */
  refusalStatus: (retryAfterMs: number) => StatusObject;
  now: () => number;
  logger: Logger;
  /** Called with each second's refusals (for the metrics counter). */
  onSecond?: (refusals: RefusalCount[], control: Control) => void;
  tickMs?: number;
  /** Picks a jitter variant (0..1); tests pass a fixed one. */
  random?: () => number;
}

export interface AdmissionGate {
  /** undefined: admitted (call `leave()` once answered); else the status to answer with at once. */
  enter(cls: CallClass, tenant: string): StatusObject | undefined;
  leave(): void;
  /** One controller step now (the timer calls it every tick; tests call it directly). */
  tick(): void;
  /** Writes the summary of refusals since the last one (the timer calls it every second). */
  flush(): void;
  control(): Control;
  /** Refusals and admissions since start, by class. */
  totals(): { admitted: Record<CallClass, number>; refused: Record<CallClass, number> };
  start(): void;
  stop(): void;
}

/** Refusal delays are rounded to this step, so the cache of built statuses stays small. */
const DELAY_STEP_MS = 50;
/** Jittered variants per delay: from half to one and a half times it. */
const VARIANTS = 8;
const MAX_CACHED_DELAYS = 64;

const perClass = (): Record<CallClass, number> => ({ verify: 0, start: 0, read: 0 });

/** What the gate keeps between calls and ticks. */
interface GateState {
  deps: GateDeps;
  random: () => number;
  control: Control;
  inFlight: number;
  buckets: Map<string, Bucket>;
  /** Starts offered per tenant during the current tick, and admitted. */
  offered: Map<string, number>;
  admittedStarts: number;
  /** Gated calls admitted and refused during the current tick, every class. */
  admittedCalls: number;
  refusedCalls: number;
  lastTick: number;
  /** This second's refusals by class and reason, and by tenant. */
  second: Map<string, RefusalCount>;
  secondTenants: Map<string, number>;
  totals: { admitted: Record<CallClass, number>; refused: Record<CallClass, number> };
  /** Built refusal statuses per rounded delay, one per jitter variant. */
  statuses: Map<number, StatusObject[]>;
}

export function createAdmissionGate(deps: GateDeps): AdmissionGate {
  const state: GateState = {
    deps,
    random: deps.random ?? Math.random,
    control: initialControl(deps.settings),
    inFlight: 0,
    buckets: new Map(),
    offered: new Map(),
    admittedStarts: 0,
    admittedCalls: 0,
    refusedCalls: 0,
    lastTick: deps.now(),
    second: new Map(),
    secondTenants: new Map(),
    totals: { admitted: perClass(), refused: perClass() },
    statuses: new Map(),
  };
  const timers: NodeJS.Timeout[] = [];
  const gate: AdmissionGate = {
    enter: (cls, tenant) => enter(state, cls, tenant),
    leave() {
      state.inFlight = Math.max(0, state.inFlight - 1);
    },
    tick: () => tick(state),
    flush: () => flush(state),
    control: () => state.control,
    totals: () => ({ admitted: { ...state.totals.admitted }, refused: { ...state.totals.refused } }),
    start() {
      state.lastTick = deps.now();
      timers.push(
        setInterval(() => gate.tick(), deps.tickMs ?? 100),
        setInterval(() => gate.flush(), 1_000),
      );
      for (const t of timers) t.unref();
    },
    stop() {
      for (const t of timers.splice(0)) clearInterval(t);
    },
  };
  return gate;
}

function enter(state: GateState, cls: CallClass, tenant: string): StatusObject | undefined {
  const { deps, control } = state;
  const isStart = cls === "start";
  if (isStart) state.offered.set(tenant, (state.offered.get(tenant) ?? 0) + 1);
  const verdict = decide(
    control,
    {
      cls,
      inFlight: state.inFlight,
      bucket: isStart ? state.buckets.get(tenant) : undefined,
      share: isStart && control.limiting ? shareOf(control, tenant, deps.weightOf(tenant)) : 0,
    },
    deps.settings,
    deps.now(),
  );
  if (verdict.bucket) state.buckets.set(tenant, verdict.bucket);
  if (!verdict.admit) {
    state.refusedCalls++;
    count(state, cls, verdict.reason, tenant);
    return refusal(state);
  }
  state.admittedCalls++;
  state.totals.admitted[cls]++;
  if (isStart) state.admittedStarts++;
  state.inFlight++;
  return undefined;
}

/** A built refusal for the controller's current delay, one of its jittered variants. */
function refusal(state: GateState): StatusObject {
  const { statuses } = state;
  const delay = Math.max(
    DELAY_STEP_MS,
    Math.round(state.control.retryAfterMs / DELAY_STEP_MS) * DELAY_STEP_MS,
  );
  let variants = statuses.get(delay);
  if (variants === undefined) {
    if (statuses.size >= MAX_CACHED_DELAYS) statuses.clear();
    variants = Array.from({ length: VARIANTS }, (_, i) =>
      state.deps.refusalStatus(Math.round(delay * (0.5 + (i + 0.5) / VARIANTS))),
    );
    statuses.set(delay, variants);
  }
  return variants[Math.min(VARIANTS - 1, Math.floor(state.random() * VARIANTS))]!;
}

function count(state: GateState, cls: CallClass, reason: RefusalReason, tenant: string): void {
  state.totals.refused[cls]++;
  const key = `${cls}/${reason}`;
  const entry = state.second.get(key);
  if (entry) entry.count++;
  else state.second.set(key, { cls, reason, count: 1 });
  state.secondTenants.set(tenant, (state.secondTenants.get(tenant) ?? 0) + 1);
}

function tick(state: GateState): void {
  const { deps } = state;
  const now = deps.now();
  const loop = deps.sampleLoop();
  const tenants = [...state.offered].map(([key, n]) => ({ key, weight: deps.weightOf(key), offered: n }));
  const before = state.control.limiting;
  state.control = nextControl(
    state.control,
    {
      dtMs: now - state.lastTick,
      signals: {
        ...loop,
        inFlight: state.inFlight,
        backlog: deps.backlog?.() ?? 0,
        admittedCalls: state.admittedCalls,
        refusedCalls: state.refusedCalls,
      },
      admittedStarts: state.admittedStarts,
      tenants,
    },
    deps.settings,
  );
  const control = state.control;
  state.lastTick = now;
  state.offered = new Map();
  state.admittedStarts = 0;
  state.admittedCalls = 0;
  state.refusedCalls = 0;
  if (!control.limiting) state.buckets.clear();
  if (before !== control.limiting) {
    deps.logger.info(control.limiting ? "admission limiting starts" : "admission open", summary(control));
  }
}

function flush(state: GateState): void {
  const refusals = [...state.second.values()];
  state.deps.onSecond?.(refusals, state.control);
  if (refusals.length > 0) {
    const top = [...state.secondTenants].sort((a, b) => b[1] - a[1]).slice(0, 5);
    state.deps.logger.warn("admission refused calls", {
      refused: Object.fromEntries(refusals.map((r) => [`${r.cls}/${r.reason}`, r.count])),
      tenants: Object.fromEntries(top),
      ...summary(state.control),
    });
  }
  state.second.clear();
  state.secondTenants.clear();
}

function summary(c: Control): Record<string, unknown> {
  return {
    load: Math.round(c.load.value * 100) / 100,
    loadFrom: c.load.source,
    startsPerSec: Math.round(c.startsPerSec),
    retryAfterMs: Math.round(c.retryAfterMs),
    backlog: c.backlog,
  };
}
