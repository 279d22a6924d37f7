/**
 * Routing's task for one partition of the verifications topic: the routing state of that
 * partition's verifications, in memory, and their timers. Every input (an event of the log, a
 * fallback or expiry timer) runs the pure core (`handleCommand`) on the verification's state,
 * one at a time; the events it decides, the changed states (for the changelog) and the health
 * samples wait in the task until the processor drains them into one transaction with the input
 * offsets. Timers follow from the state (an attempt dispatched at t with step timeout s is due at
 * t + s; the code's expiry), so a new owner gets them back with the state.
 */
import { context, propagation, ROOT_CONTEXT, trace, type Tracer } from "@opentelemetry/api";
import type { BusMessage, OutgoingMessage } from "@platform/bus/port";
import type { PartitionTask, TaskOutput } from "@platform/bus/processor-port";
import { startProducerSpan } from "@platform/bus/trace-context";
import type { TopicNames } from "@platform/bus/topics";
import type { Logger } from "@platform/log";
import type { PolicyBook } from "@domain/policy/policy-book";
import { recordFallback, type FallbackMetrics } from "./fallback-metrics";
import type { RoutesTable } from "../core/routes";
import { type DecideContext, handleCommand, initialRoutingState } from "../core/routing-aggregate";
import type { RoutingCommand, RoutingEvent, RoutingSettings, RoutingState } from "../core/types";
import { type Effect, effectsOf, type MintCode } from "../effects";
import type { HealthObservation } from "../core/health-observations";
import type { HealthRepository } from "../health/health-store";
import type { IncidentReader } from "../incident-reader";
import { commandFromEnvelope } from "../lifecycle-input";
import { channelToProto, fallbackReasonToProto } from "../proto-mapping";
import { decodeOwnedState, encodeOwnedState, type OwnedState } from "./state-codec";
import { createTimerHeap, type DueTimer, type TimerHeap } from "./timer-heap";

export interface RoutingTaskDeps {
  policies: PolicyBook;
  topics: TopicNames;
  clock: () => number;
  health: HealthRepository;
  incidents: IncidentReader;
  routes: RoutesTable;
  settings: RoutingSettings;
  /** How long a finished verification's state stays (ExplainRoute answers until then). */
  retentionMs: number;
  mintCode?: MintCode;
  metrics?: FallbackMetrics;
  logger: Logger;
  tracer: Tracer;
}

export interface RoutingTask extends PartitionTask {
  get(verificationId: string): RoutingState | undefined;
  /** The timers that stand for a verification now. */
  timers(verificationId: string): DueTimer[];
}

const FINAL = new Set(["verified", "cancelled", "locked", "overridden", "expired", "failed"]);

/** One partition's verifications, their timers and what waits for the next drain. */
interface PartitionRouting {
  deps: RoutingTaskDeps;
  owned: Map<string, OwnedState>;
  /** The fallback attempt whose timer already fired, per verification (never twice). */
  firedFallback: Map<string, number>;
  heap: TimerHeap;
  /** Timers in the heap per verification, so a state that changes does not push its timers again. */
  armed: Map<string, Set<string>>;
  /** Changed and evicted states since the last drain (the changelog's records). */
  dirty: Set<string>;
  dropped: Set<string>;
  pending: PendingOutput;
}

/** What the task decided since the last drain, for the processor's next transaction. */
interface PendingOutput {
  messages: OutgoingMessage[];
  observations: HealthObservation[];
  fallbacks: Array<Extract<RoutingEvent, { type: "FallbackTriggered" }>>;
  sends: Array<{ end(): void }>;
}

const noPendingOutput = (): PendingOutput => ({ messages: [], observations: [], fallbacks: [], sends: [] });

export function createRoutingTask(
  deps: RoutingTaskDeps,
  partition: number,
  restored: ReadonlyMap<string, Uint8Array>,
): RoutingTask {
  const routing: PartitionRouting = {
    deps,
    owned: new Map(),
    firedFallback: new Map(),
    heap: createTimerHeap(),
    armed: new Map(),
    dirty: new Set(),
    dropped: new Set(),
    pending: noPendingOutput(),
  };
  restore(routing, partition, restored);
  const { owned, heap } = routing;

  return {
    async handle(message: BusMessage) {
      const command = commandFromEnvelope(message.envelope, deps.policies);
      if (!command) return;
      await apply(routing, message.envelope.verificationId, command, message.headers.traceparent);
    },

    nextDueAt() {
      for (let top = heap.peek(); top; top = heap.peek()) {
        if (stillStands(routing, top)) return top.at;
        popTimer(routing);
      }
      return undefined;
    },

    async fire(now) {
      for (let top = heap.peek(); top && top.at <= now; top = heap.peek()) {
        popTimer(routing);
        if (stillStands(routing, top)) await fireOne(routing, top);
      }
    },

    drain: () => drain(routing),

    close() {
      owned.clear();
      routing.firedFallback.clear();
      routing.armed.clear();
    },

    get: (id) => owned.get(id)?.state,
    timers(id) {
      const entry = owned.get(id);
      return entry ? timersOf(routing, id, entry).filter((t) => t.kind !== "evict") : [];
    },
  };
}

function restore(
  routing: PartitionRouting,
  partition: number,
  restored: ReadonlyMap<string, Uint8Array>,
): void {
  for (const [id, bytes] of restored) {
    try {
      const entry = decodeOwnedState(bytes);
      routing.owned.set(id, entry);
      arm(routing, id, entry);
    } catch (err) {
      routing.deps.logger.error("unreadable routing state in the changelog; dropped", {
        verificationId: id,
        partition,
        error: err,
      });
    }
  }
}

/** The timers that follow from a verification's state. */
function timersOf(routing: PartitionRouting, id: string, entry: OwnedState): DueTimer[] {
  const { state } = entry;
  if (entry.finishedAt !== undefined)
    return [
      { at: entry.finishedAt + routing.deps.retentionMs, verificationId: id, kind: "evict", attempt: 0 },
    ];
  if (state.status !== "active" || !state.facts) return [];
  const timers: DueTimer[] = [{ at: state.facts.expiresAt, verificationId: id, kind: "expiry", attempt: 0 }];
  const current = state.attempts[state.currentAttempt - 1];
  if (current && routing.firedFallback.get(id) !== current.attempt) {
    timers.push({ at: current.dueAt, verificationId: id, kind: "fallback", attempt: current.attempt });
  }
  return timers;
}

const timerKey = (t: DueTimer) => `${t.kind}:${t.at}:${t.attempt}`;

function arm(routing: PartitionRouting, id: string, entry: OwnedState): void {
  for (const timer of timersOf(routing, id, entry)) {
    const keys = routing.armed.get(id) ?? new Set<string>();
    if (keys.has(timerKey(timer))) continue;
    keys.add(timerKey(timer));
    routing.armed.set(id, keys);
    routing.heap.push(timer);
  }
}

function popTimer(routing: PartitionRouting): DueTimer | undefined {
  const timer = routing.heap.pop();
  if (timer) {
    const keys = routing.armed.get(timer.verificationId);
    keys?.delete(timerKey(timer));
    if (keys?.size === 0) routing.armed.delete(timer.verificationId);
  }
  return timer;
}

/** A timer still stands while the state it came from still calls for it. */
function stillStands(routing: PartitionRouting, timer: DueTimer): boolean {
  const entry = routing.owned.get(timer.verificationId);
  return (
    !!entry &&
    timersOf(routing, timer.verificationId, entry).some(
      (t) => t.kind === timer.kind && t.at === timer.at && t.attempt === timer.attempt,
    )
  );
}

async function contextFor(
  deps: RoutingTaskDeps,
  state: RoutingState,
  command: RoutingCommand,
  now: number,
): Promise<DecideContext> {
  const facts = command.type === "Start" ? command.facts : state.facts;
  const district = facts?.district ?? "";
  const [health, incidents] = await Promise.all([
    deps.health.view(district, facts?.operator ?? "", now),
    deps.incidents.declaredFor(district, now),
  ]);
  return { now, health, incidents, routes: deps.routes, settings: deps.settings };
}

/** Runs the core on one verification's state and keeps what it decided for the next drain. */
async function apply(
  routing: PartitionRouting,
  id: string,
  command: RoutingCommand,
  traceparent?: string,
): Promise<void> {
  const { deps } = routing;
  const entry = routing.owned.get(id);
  const state = entry?.state ?? initialRoutingState(id);
  if (state.status === "new" && command.type !== "Start") {
    deps.logger.debug("no routing state for this verification; input ignored", {
      verificationId: id,
      input: command.type,
    });
    return;
  }
  const now = deps.clock();
  const handled = handleCommand(state, command, await contextFor(deps, state, command, now));
  if (handled.events.length === 0) return;
  const effects = effectsOf(handled.events, handled.state, command.inputId, deps.mintCode);
  traceDecisions(handled.events);
  const next: OwnedState = {
    state: handled.state,
    ...(entry?.traceparent || traceparent ? { traceparent: entry?.traceparent ?? traceparent } : {}),
    ...(entry?.finishedAt !== undefined || FINAL.has(handled.state.status)
      ? { finishedAt: entry?.finishedAt ?? now }
      : {}),
  };
  routing.owned.set(id, next);
  routing.dirty.add(id);
  routing.dropped.delete(id);
  keepEffects(routing, effects, handled.events);
  arm(routing, id, next);
}

function keepEffects(routing: PartitionRouting, effects: Effect[], events: readonly RoutingEvent[]): void {
  const { deps, pending } = routing;
  const published = effects.flatMap((e) => (e.kind === "publish" ? [e.envelope] : []));
  if (published.length > 0) {
    const span = startProducerSpan(deps.tracer, deps.topics.verifications, published.length);
    pending.sends.push(span);
    for (const envelope of published) {
      pending.messages.push({ topic: deps.topics.verifications, envelope, headers: span.headers });
    }
  }
  for (const effect of effects) if (effect.kind === "observe") pending.observations.push(effect.observation);
  pending.fallbacks.push(...events.filter((e) => e.type === "FallbackTriggered"));
}

async function fireOne(routing: PartitionRouting, timer: DueTimer): Promise<void> {
  const id = timer.verificationId;
  if (timer.kind === "evict") {
    routing.owned.delete(id);
    routing.firedFallback.delete(id);
    routing.dirty.delete(id);
    routing.dropped.add(id);
    return;
  }
  const command: RoutingCommand =
    timer.kind === "expiry"
      ? { type: "ExpiryDue", inputId: `${id}|x` }
      : { type: "FallbackDue", inputId: `${id}|f|${timer.attempt}`, attempt: timer.attempt };
  if (timer.kind === "fallback") routing.firedFallback.set(id, timer.attempt);
  await withTimerSpan(routing.deps.tracer, routing.owned.get(id)?.traceparent, timer.kind, () =>
    apply(routing, id, command),
  );
}

function drain(routing: PartitionRouting): TaskOutput {
  const { deps, owned, dirty, dropped } = routing;
  const changelog = [
    ...[...dirty].map((id) => ({ key: id, value: encodeOwnedState(owned.get(id)!) })),
    ...[...dropped].map((id) => ({ key: id, value: null })),
  ];
  dirty.clear();
  dropped.clear();
  const { messages, observations: samples, fallbacks: triggered, sends: spans } = routing.pending;
  routing.pending = noPendingOutput();
  return {
    messages,
    changelog,
    afterCommit: () => {
      if (samples.length > 0) deps.health.record(samples);
      for (const f of triggered) recordFallback(deps.metrics, fallbackLabels(f));
      for (const span of spans) span.end();
    },
  };
}

/** A timer fires in no trace of its own: it continues the verification's. */
async function withTimerSpan(
  tracer: Tracer,
  traceparent: string | undefined,
  kind: DueTimer["kind"],
  run: () => Promise<void>,
): Promise<void> {
  const parent = traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
  const span = tracer.startSpan(`routing ${kind} timer`, { attributes: { "otp.timer.kind": kind } }, parent);
  try {
    await context.with(trace.setSpan(parent, span), run);
  } finally {
    span.end();
  }
}

/** The decision trail also goes on the trace of the input that caused it. */
function traceDecisions(events: readonly RoutingEvent[]): void {
  const span = trace.getActiveSpan();
  if (!span) return;
  for (const event of events) {
    if (
      event.type !== "RoutePlanned" &&
      event.type !== "DispatchRequested" &&
      event.type !== "RoutingStopped"
    )
      continue;
    const d = event.decision;
    span.addEvent("routing.decision", {
      "otp.attempt": d.attempt,
      "otp.channel": d.channel ?? "",
      "otp.route": d.route,
      "otp.routing.rule": d.rule,
      "otp.routing.reason": d.reason,
    });
  }
}

function fallbackLabels(event: Extract<RoutingEvent, { type: "FallbackTriggered" }>) {
  return {
    fromChannel: channelToProto(event.fromChannel),
    toChannel: channelToProto(event.toChannel),
    reason: fallbackReasonToProto(event.reason),
  };
}
