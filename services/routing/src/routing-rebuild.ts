/**
 * Routing's state rebuilt from the log, after its store lost its data (timers and the routing
 * state of every live verification gone). Everything routing decided is on the log (RoutePlanned,
 * DispatchRequested, FallbackTriggered, DispatchCancelled, expiry and failure), and so is every
 * input it decided on: folding them through the core's own `evolve` gives back the state, without
 * the health figures of past decisions. Only verifications started before the loss and still
 * live are kept (a few minutes' worth at most); those started since have state already.
 *
 * Once the replay has caught up, each rebuilt state is written if the verification still has
 * none, and its timers are set again: the current attempt's fallback at its due time (at once if
 * that has passed) and the expiry. A verification planned but never dispatched starts over.
 */
import { randomUUID } from "node:crypto";
import type { EventEnvelope } from "../../../proto/gen/otp/events/v1/events";
import { FallbackReason } from "../../../proto/gen/otp/events/v1/events";
import type { EventBus } from "../../shared/src/bus/port";
import type { Logger } from "../../shared/src/log";
import type { PolicyBook } from "../../shared/src/policy/policy-book";
import type { Store } from "../../shared/src/store/port";
import type { StoreLossWatchDeps } from "../../shared/src/store/loss-watch";
import { evolveAll, initialRoutingState } from "./core/routing-evolve";
import type {
  Decision,
  PlanStep,
  RoutingCommand,
  RoutingEvent,
  RoutingSettings,
  RoutingState,
} from "./core/types";
import { timerId } from "./effects";
import { commandFromEnvelope } from "./lifecycle-input";
import { channelFromProto, optionalChannel } from "./proto-mapping";
import type { RoutingEngine } from "./routing-engine";
import type { RoutingStateRepo } from "./routing-state-repo";
import { setTimer } from "./timer-sets";

const rebuiltDecision = (at: number, attempt: number, reason: string): Decision => ({
  at,
  attempt,
  route: "",
  rule: "rebuilt-from-log",
  reason,
  health: [],
});

/** The routing events one log envelope stands for, given the state so far. */
function routingEventsOf(state: RoutingState, env: EventEnvelope, policies: PolicyBook): RoutingEvent[] {
  const at = env.occurredAt?.getTime() ?? 0;
  const input: RoutingEvent = { type: "InputApplied", inputId: env.eventId };
  const e = env.event;
  switch (e?.$case) {
    case "verificationStarted":
    case "deliveryReported":
    case "resendRequested":
    case "codeChecked":
    case "verificationCancelled":
    case "verificationLocked":
    case "verificationOverridden": {
      // Routing's inputs, read as routing reads them. A start it cannot read plans nothing.
      const command = commandFromEnvelope(env, policies);
      if (!command) return e.$case === "verificationStarted" ? [] : [input];
      return [...eventsOfInput(state, command, at), input];
    }
    case "routePlanned": {
      if (!state.facts) return [];
      // The plan as routing ordered it; the advance condition is the policy step's of that channel.
      const steps: PlanStep[] = e.value.steps.flatMap((step) => {
        const channel = channelFromProto(step.channel);
        if (channel === undefined) return [];
        const policyStep = state.steps.find((s) => s.channel === channel);
        return [
          {
            channel,
            ...(step.route ? { route: step.route } : {}),
            timeoutSeconds: step.timeoutSeconds,
            advanceWhen: policyStep?.advanceWhen ?? "not_delivered",
          },
        ];
      });
      const decision = rebuiltDecision(at, 0, e.value.reason);
      return [
        {
          type: "RoutePlanned",
          at,
          tenant: state.tenant,
          facts: state.facts,
          workflow: state.workflow,
          steps,
          decision,
        },
      ];
    }
    case "dispatchRequested": {
      const d = e.value;
      const channel = channelFromProto(d.channel);
      if (channel === undefined) return [];
      return [
        {
          type: "DispatchRequested",
          at,
          attempt: d.attempt,
          stepIndex: d.stepIndex,
          channel,
          route: d.route,
          timeoutSeconds: d.stepTimeoutSeconds,
          advanceWhen: state.steps[d.stepIndex]?.advanceWhen ?? "not_delivered",
          dueAt: at + d.stepTimeoutSeconds * 1000,
          code: d.code,
          cause: d.attempt === 1 ? "first" : "timeout",
          decision: { ...rebuiltDecision(at, d.attempt, "dispatch on the log"), channel, route: d.route },
        },
      ];
    }
    case "fallbackTriggered":
      return e.value.reason === FallbackReason.FALLBACK_REASON_TIMEOUT
        ? [{ type: "AttemptTimedOut", at, attempt: e.value.fromAttempt }]
        : [];
    case "dispatchCancelled": {
      const channel = optionalChannel(e.value.channel) ?? "sms";
      return [{ type: "DispatchCancelled", at, attempt: e.value.attempt, channel, reason: e.value.reason }];
    }
    case "verificationExpired":
      return [{ type: "VerificationExpired", at }];
    case "verificationFailed":
      return [{ type: "VerificationFailed", at, reason: e.value.reason }];
    case "incidentDeclared":
    case "incidentResolved":
    case "channelHealthChanged":
    case "handoffRequested":
    case "supportMessageReceived":
    case undefined:
      return [];
  }
}

/** What an input routing decided on left in its state (the decisions are on the log). */
function eventsOfInput(state: RoutingState, command: RoutingCommand, at: number): RoutingEvent[] {
  switch (command.type) {
    case "Start": {
      const { facts, workflow } = command;
      const decision = rebuiltDecision(at, 0, "plan from the tenant's policy");
      const { tenant } = command;
      return [
        { type: "RoutePlanned", at, tenant, facts, workflow: workflow.name, steps: workflow.steps, decision },
      ];
    }
    case "RecordReceipt": {
      const { attempt, status, failureClass, reason } = command.receipt;
      const late = attempt !== state.currentAttempt;
      return [{ type: "ReceiptRecorded", at, attempt, status, failureClass, reason, late }];
    }
    case "Resend":
      return [{ type: "CodeReplaced", at, code: command.newCode, expiresAt: command.expiresAt }];
    case "Finish":
      return [{ type: "VerificationEnded", at, outcome: command.outcome }];
    case "FallbackDue":
    case "ExpiryDue":
      return [];
  }
}

export interface RoutingRebuildDeps {
  bus: EventBus;
  store: Store;
  topic: string;
  groupPrefix: string;
  policies: PolicyBook;
  repo: RoutingStateRepo;
  engine: RoutingEngine;
  settings: RoutingSettings;
  timerShards: number;
  logger: Logger;
  now: () => number;
}

/**
 * The store-loss watch's replay for routing: the log is replayed in a fresh group, folding the
 * verifications started before the loss; once it has caught up, what was rebuilt is written and
 * the timers are set again.
 */
export function routingReplay(deps: RoutingRebuildDeps): StoreLossWatchDeps["replay"] {
  return async (observe, lossSeenAt) => {
    const states = new Map<string, Rebuilt>();
    const subscription = await deps.bus.subscribe({
      groupId: `${deps.groupPrefix}routing-rebuild-${randomUUID()}`,
      topics: [deps.topic],
      fromBeginning: true,
      handler: async (message) => {
        fold(states, message.envelope, lossSeenAt, deps);
        observe(message);
      },
    });
    return {
      ready: subscription.ready,
      stop: () => subscription.stop(),
      caughtUp: () => restore(states, deps),
    };
  };
}

interface Rebuilt {
  state: RoutingState;
  /** The Start command of its VerificationStarted, to plan again if nothing was dispatched. */
  start: Extract<RoutingCommand, { type: "Start" }>;
}

/** Folds one log envelope into the state it stands for (inputs already applied are skipped). */
export function applyEnvelope(
  state: RoutingState,
  env: EventEnvelope,
  policies: PolicyBook,
  settings?: RoutingSettings,
): RoutingState {
  if (env.eventId && state.appliedInputs.includes(env.eventId)) return state;
  return evolveAll(state, routingEventsOf(state, env, policies), settings);
}

function fold(
  states: Map<string, Rebuilt>,
  env: EventEnvelope,
  lossSeenAt: number,
  deps: RoutingRebuildDeps,
): void {
  const id = env.verificationId;
  if (!id) return;
  let rebuilt = states.get(id);
  if (!rebuilt) {
    // Only verifications started before the loss and still live; most of the log is neither.
    const started = env.event?.$case === "verificationStarted" ? env.event.value : undefined;
    const startedAt = env.occurredAt?.getTime() ?? 0;
    if (!started || startedAt >= lossSeenAt || (started.expiresAt?.getTime() ?? 0) <= deps.now()) return;
    const start = commandFromEnvelope(env, deps.policies);
    if (start?.type !== "Start") return;
    rebuilt = { state: initialRoutingState(id, env.tenant), start };
  }
  states.set(id, { ...rebuilt, state: applyEnvelope(rebuilt.state, env, deps.policies, deps.settings) });
}

async function restore(states: Map<string, Rebuilt>, deps: RoutingRebuildDeps): Promise<void> {
  let restored = 0;
  let replanned = 0;
  for (const [id, { state, start }] of states) {
    if (state.status !== "active" || !state.facts || state.facts.expiresAt <= deps.now()) continue;
    if (state.currentAttempt === 0) {
      // Planned, never dispatched: the plan's outbox went with the store. Plan it again (the
      // engine ignores the start if the verification has state again).
      await deps.engine.handle(id, start);
      replanned++;
      continue;
    }
    if ((await deps.repo.save(0, state, [], deps.now())) === 0) continue; // it has state again
    const current = state.attempts[state.currentAttempt - 1];
    const timers: Array<[string, number]> = [[timerId(id, { kind: "expiry" }), state.facts.expiresAt]];
    if (current) timers.push([timerId(id, { kind: "fallback", attempt: current.attempt }), current.dueAt]);
    await Promise.all(timers.map(([timer, dueAt]) => setTimer(deps.store, deps.timerShards, timer, dueAt)));
    restored++;
  }
  deps.logger.info("routing state rebuilt from the log", { restored, replanned });
}
