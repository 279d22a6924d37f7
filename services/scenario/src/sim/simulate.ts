/**
 * The scenario on a simulated clock: the routing core itself (plan, dispatch, fallback timers,
 * receipts, conversions: core/routing-aggregate.ts) and the health detector, against networks
 * and users drawn from the scenario file. An hour of a district runs in well under a second, so
 * tests can assert the detection goals; the real-time runner (../runner.ts) remains the check
 * that the deployed pieces do the same.
 */
import { handleCommand, initialRoutingState } from "@services/routing/src/core/routing-aggregate";
import {
  DEFAULT_ROUTING_SETTINGS,
  type ChannelName,
  type RoutingCommand,
  type RoutingSettings,
  type RoutingState,
  type Workflow,
} from "@services/routing/src/core/types";
import type { RoutesTable } from "@services/routing/src/core/routes";
import { filedAt, observationsOf } from "@services/routing/src/core/health-observations";
import { seededRandom } from "../population";
import { workflowOf } from "../scaled-policy";
import type { ScenarioFile, Strategy } from "../scenario-file";
import { arrivalRate, conditionsAt, normalFrom, sampleDelay } from "./model";
import {
  detectorHealth,
  healthThresholds,
  oracleHealth,
  type HealthChange,
  type SimHealth,
} from "./sim-health";

export interface SimUser {
  index: number;
  district: string;
  arrivalMs: number;
  typingMs: number;
  dataOff: boolean;
  notOnWhatsApp: boolean;
  phoneOff: boolean;
  darkRoll: number;
}

export interface SimOutcome {
  user: SimUser;
  verifiedAt?: number;
  sends: number;
}

export interface StrategyRun {
  id: string;
  label: string;
  outcomes: SimOutcome[];
  changes: HealthChange[];
  /** Dispatches whose wait was hastened (the channel leaned towards a collapse), in time order. */
  hastened: { at: number; district: string; channel: ChannelName }[];
  /** Every dispatch (for the hastened share). */
  dispatches: number;
}

const EMPTY_ROUTES: RoutesTable = { sms: { operators: {}, default: [] }, whatsapp: [], voice: [] };

export function simulatedSeconds(s: ScenarioFile): number {
  return s.simulatedSeconds ?? s.arrivals.durationSeconds + s.observeSeconds;
}

/** Users arriving per district over time (Poisson, thinned per simulated second), with traits. */
export function simulatedPopulation(s: ScenarioFile, sizeFactor = 1): SimUser[] {
  const random = seededRandom(s.seed);
  const traits = s.users.traits ?? {};
  const [min, max] = s.users.typingSeconds;
  const users: SimUser[] = [];
  const horizon = s.arrivals.perDistrict ? simulatedSeconds(s) : s.arrivals.durationSeconds;
  for (const d of s.districts) {
    for (let second = 0; second < horizon; second++) {
      const perSecond = (arrivalRate(s, d.name, second) * sizeFactor) / 60;
      let count = 0;
      // Poisson by inversion; rates here are well under one arrival per millisecond.
      for (let p = Math.exp(-perSecond), u = random(), acc = p; u > acc && count < 1_000;) {
        count++;
        p *= perSecond / count;
        acc += p;
      }
      for (let i = 0; i < count; i++) {
        users.push({
          index: users.length,
          district: d.name,
          arrivalMs: Math.round((second + random()) * 1000),
          typingMs: Math.round((min + (max - min) * random()) * 1000),
          dataOff: random() < (traits.dataOffShare ?? 0),
          notOnWhatsApp: random() < (traits.notOnWhatsAppShare ?? 0),
          phoneOff: random() < (traits.phoneOffShare ?? 0),
          darkRoll: random(),
        });
      }
    }
  }
  return users.sort((a, b) => a.arrivalMs - b.arrivalMs).map((u, index) => ({ ...u, index }));
}

/** A min-heap of timed actions, ties in insertion order. */
function createQueue() {
  const heap: { at: number; seq: number; run: () => void }[] = [];
  let seq = 0;
  const less = (i: number, j: number) =>
    heap[i]!.at < heap[j]!.at || (heap[i]!.at === heap[j]!.at && heap[i]!.seq < heap[j]!.seq);
  const swap = (i: number, j: number) => ([heap[i], heap[j]] = [heap[j]!, heap[i]!]);
  return {
    push(at: number, run: () => void) {
      heap.push({ at, seq: seq++, run });
      for (let i = heap.length - 1; i > 0 && less(i, (i - 1) >> 1); i = (i - 1) >> 1) swap(i, (i - 1) >> 1);
    },
    pop() {
      const top = heap[0];
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        for (let i = 0; ;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && less(l, m)) m = l;
          if (r < heap.length && less(r, m)) m = r;
          if (m === i) break;
          swap(i, m);
          i = m;
        }
      }
      return top;
    },
    get size() {
      return heap.length;
    },
  };
}

export interface SimStrategy {
  id: string;
  label: string;
  strategy: Strategy;
  oracle: boolean;
}

/** The scenario's strategies and the oracle: the adaptive strategy's workflow on the true channel states. */
export function simStrategies(s: ScenarioFile): SimStrategy[] {
  const base = s.strategies.find((st) => st.id === s.oracleOf) ?? s.strategies.at(-1)!;
  return [
    ...s.strategies.map((strategy) => ({ id: strategy.id, label: strategy.label, strategy, oracle: false })),
    {
      id: "oracle",
      label: `${base.id}'s workflow routed on the true channel state of every district`,
      strategy: base,
      oracle: true,
    },
  ];
}

/** One strategy's run over the scenario: its event queue, health and tallies. */
interface SimRun {
  s: ScenarioFile;
  queue: ReturnType<typeof createQueue>;
  health: SimHealth;
  settings: RoutingSettings;
  workflow: Workflow;
  ttlMs: number;
  hastened: StrategyRun["hastened"];
  dispatches: number;
}

/** One user's verification in a run: its routing state and what happened to it. */
interface UserRun {
  run: SimRun;
  out: SimOutcome;
  state: RoutingState;
  inputs: number;
}

export function simulateStrategy(s: ScenarioFile, sim: SimStrategy, users: SimUser[]): StrategyRun {
  const endMs = simulatedSeconds(s) * 1000;
  const run: SimRun = {
    s,
    queue: createQueue(),
    health: sim.oracle ? oracleHealth(s) : detectorHealth(healthThresholds(s)),
    settings: {
      ...DEFAULT_ROUTING_SETTINGS,
      probeShare: sim.oracle ? 0 : DEFAULT_ROUTING_SETTINGS.probeShare,
    },
    workflow: { name: "scenario", steps: workflowOf(sim.strategy).map((st) => ({ ...st })) },
    ttlMs: 300_000,
    hastened: [],
    dispatches: 0,
  };
  const { queue, health, hastened } = run;
  const outcomes = users.map((user): SimOutcome => ({ user, sends: 0 }));

  for (let t = 0; t <= endMs; t += 1000) queue.push(t, () => health.evaluate(t));
  for (const out of outcomes) {
    const user: UserRun = { run, out, state: initialRoutingState(`sim-${out.user.index}`, "sim"), inputs: 0 };
    queue.push(out.user.arrivalMs, () => arrive(user));
  }
  while (queue.size > 0) {
    const next = queue.pop()!;
    if (next.at > endMs + 600_000) break;
    next.run();
  }
  hastened.sort((a, b) => a.at - b.at);
  return {
    id: sim.id,
    label: sim.label,
    outcomes,
    changes: health.changes,
    hastened,
    dispatches: run.dispatches,
  };
}

/** Each user's luck is the same whatever the strategy: draws seeded by the user and attempt. */
function luck(user: UserRun, attempt: number, k: number): number {
  return seededRandom(user.run.s.seed * 7919 + user.out.user.index * 131 + attempt * 17 + k)();
}

function arrive(user: UserRun): void {
  const { s, ttlMs, workflow, queue } = user.run;
  const u = user.out.user;
  const facts = {
    purpose: s.purpose,
    riskTier: "medium" as const,
    district: u.district,
    operator: "",
    country: "ID",
    locale: s.locale,
    maskedPhone: "",
    phone: undefined,
    code: undefined,
    transaction: undefined,
    expiresAt: u.arrivalMs + ttlMs,
    maxSends: 5,
    codePerAttempt: false,
  };
  apply(user, u.arrivalMs, { type: "Start", inputId: "start", tenant: "sim", facts, workflow });
  queue.push(u.arrivalMs + ttlMs, () =>
    apply(user, u.arrivalMs + ttlMs, { type: "ExpiryDue", inputId: "expiry" }),
  );
}

function apply(user: UserRun, now: number, command: RoutingCommand): void {
  const { run, out } = user;
  const { health } = run;
  const u = out.user;
  const handled = handleCommand(user.state, command, {
    now,
    health: health.view(u.district, now),
    incidents: [],
    routes: EMPTY_ROUTES,
    settings: run.settings,
  });
  user.state = handled.state;
  for (const observation of handled.events.flatMap((e) => observationsOf(e, user.state))) {
    const at = filedAt(observation, health.shape);
    if (at !== undefined) health.record(at, u.district, observation.channel, observation.sample);
  }
  for (const e of handled.events) {
    if (e.type === "DispatchRequested") {
      out.sends++;
      run.dispatches++;
      if (e.decision.rule.endsWith("wait:hastened"))
        run.hastened.push({ at: now, district: u.district, channel: e.channel });
      send(user, now, e.attempt, e.channel, e.route);
      run.queue.push(e.dueAt, () =>
        apply(user, e.dueAt, { type: "FallbackDue", inputId: `due-${e.attempt}`, attempt: e.attempt }),
      );
    }
  }
}

function receipt(
  user: UserRun,
  at: number,
  attempt: number,
  status: "delivered" | "failed" | "expired",
  failureClass: "permanent" | "unspecified",
  reason: string = status.toUpperCase(),
): void {
  user.run.queue.push(at, () =>
    apply(user, at, {
      type: "RecordReceipt",
      inputId: `r-${++user.inputs}`,
      receipt: { attempt, status, failureClass, reason, at },
    }),
  );
}

/** What the simulated world does with a dispatch: its receipt, and the user typing the code. */
function send(user: UserRun, now: number, attempt: number, channel: ChannelName, route: string): void {
  const { s, ttlMs, queue } = user.run;
  const { out } = user;
  const u = out.user;
  if (channel === "silent") return receipt(user, now + 1000, attempt, "failed", "permanent");
  const c = conditionsAt(s, u.district, now / 1000);
  const dark = u.phoneOff || u.darkRoll < c.darkShare;
  const r = route ? c.routes[`${channel}/${route}`] : undefined;
  const delayMs = Math.round(
    (sampleDelay(c.delay[channel], normalFrom(luck(user, attempt, 1), luck(user, attempt, 2))) +
      (r ? sampleDelay(r.extraDelay, normalFrom(luck(user, attempt, 3), luck(user, attempt, 4))) : 0)) *
      1000,
  );
  const reaches = luck(user, attempt, 5) < c.delivery[channel] * (r?.delivery ?? 1);
  if (channel === "whatsapp") {
    if (u.notOnWhatsApp) return receipt(user, now + 1000, attempt, "failed", "permanent", "WHATSAPP_131026");
    if (dark || u.dataOff || !reaches) return; // stays "sent": Meta keeps trying
  } else if (channel === "sms") {
    if (dark || !reaches)
      return receipt(user, now + Math.max(delayMs, 60_000), attempt, "expired", "unspecified");
  } else if (dark || !reaches) {
    return receipt(user, now + delayMs, attempt, "failed", "permanent");
  }
  receipt(user, now + delayMs, attempt, "delivered", "unspecified");
  const typed = now + delayMs + u.typingMs;
  queue.push(typed, () => {
    if (out.verifiedAt !== undefined || user.state.status !== "active" || typed > u.arrivalMs + ttlMs) return;
    out.verifiedAt = typed;
    apply(user, typed, { type: "Finish", inputId: "checked", outcome: "verified", matchedAttempt: attempt });
  });
}
