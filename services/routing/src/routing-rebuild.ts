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
import type { BusMessage, EventBus, Subscription } from "../../shared/src/bus/port";
import type { Logger } from "../../shared/src/log";
import type { PolicyBook } from "../../shared/src/policy/policy-book";
import type { Store } from "../../shared/src/store/port";
import { scheduleTimer } from "../../shared/src/store/scripts";
import { evolve, initialRoutingState } from "./core/routing-evolve";
import type { Decision, PlanStep, RoutingCommand, RoutingEvent, RoutingState } from "./core/types";
import { timerId } from "./effects";
import { commandFromEnvelope } from "./lifecycle-input";
import {
  channelFromProto,
  failureClassFromProto,
  optionalChannel,
  receiptStatusFromProto,
} from "./proto-mapping";
import type { RoutingEngine } from "./routing-engine";
import type { RoutingStateRepo } from "./routing-state-repo";
import { timerSetFor } from "./timer-sets";

const rebuiltDecision = (at: number, attempt: number, reason: string): Decision => ({
  at,
  attempt,
  route: "",
  rule: "rebuilt-from-log",
  reason,
  health: [],
});

/** The routing events one log envelope stands for, given the state so far. */
export function routingEventsOf(
  state: RoutingState,
  env: EventEnvelope,
  policies: PolicyBook,
): RoutingEvent[] {
  const at = env.occurredAt?.getTime() ?? 0;
  const input: RoutingEvent = { type: "InputApplied", inputId: env.eventId };
  const e = env.event;
  switch (e?.$case) {
    case "verificationStarted": {
      const start = commandFromEnvelope(env, policies);
      if (start?.type !== "Start") return [];
      const { facts, workflow } = start;
      const decision = rebuiltDecision(at, 0, "plan from the tenant's policy");
      return [
        {
          type: "RoutePlanned",
          at,
          tenant: env.tenant,
          facts,
          workflow: workflow.name,
          steps: workflow.steps,
          decision,
        },
        input,
      ];
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
    case "deliveryReported": {
      const r = e.value;
      return [
        {
          type: "ReceiptRecorded",
          at,
          attempt: r.attempt,
          status: receiptStatusFromProto(r.status),
          failureClass: failureClassFromProto(r.failureClass),
          reason: r.reason,
          late: r.attempt !== state.currentAttempt,
        },
        input,
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
    case "resendRequested":
      return [
        { type: "CodeReplaced", at, code: e.value.newCode, expiresAt: e.value.expiresAt?.getTime() },
        input,
      ];
    case "codeChecked":
    case "verificationCancelled":
    case "verificationLocked":
    case "verificationOverridden": {
      // The inputs that end a verification, read as routing reads them.
      const finish = commandFromEnvelope(env, policies);
      return finish?.type === "Finish"
        ? [{ type: "VerificationEnded", at, outcome: finish.outcome }, input]
        : [input];
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

export interface RoutingRebuildDeps {
  bus: EventBus;
  store: Store;
  topic: string;
  groupPrefix: string;
  policies: PolicyBook;
  repo: RoutingStateRepo;
  engine: RoutingEngine;
  timerShards: number;
  logger: Logger;
  now: () => number;
}

/**
 * Replays the log in a fresh group, folding the verifications started before `lossSeenAt`;
 * the subscription's `stop()` writes what was rebuilt and sets the timers again.
 */
export async function replayRouting(
  deps: RoutingRebuildDeps,
  lossSeenAt: number,
  observe: (message: BusMessage) => void,
): Promise<Subscription> {
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
    async stop() {
      await subscription.stop();
      await restore(states, deps);
    },
  };
}

interface Rebuilt {
  state: RoutingState;
  /** The Start command of its VerificationStarted, to plan again if nothing was dispatched. */
  start: RoutingCommand;
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
    const started = env.event?.$case === "verificationStarted" ? env.event.value : undefined;
    const startedAt = env.occurredAt?.getTime() ?? 0;
    const live = (started?.expiresAt?.getTime() ?? 0) > deps.now();
    const start = started ? commandFromEnvelope(env, deps.policies) : undefined;
    if (!start || startedAt >= lossSeenAt || !live) return;
    rebuilt = { state: initialRoutingState(id, env.tenant), start };
  }
  let state = rebuilt.state;
  if (env.eventId && state.appliedInputs.includes(env.eventId)) return;
  for (const event of routingEventsOf(state, env, deps.policies)) state = evolve(state, event);
  states.set(id, { ...rebuilt, state });
}

async function restore(states: Map<string, Rebuilt>, deps: RoutingRebuildDeps): Promise<void> {
  let restored = 0;
  let restarted = 0;
  for (const [id, { state, start }] of states) {
    if (state.status !== "active" || !state.facts || state.facts.expiresAt <= deps.now()) continue;
    if (state.currentAttempt === 0) {
      // Planned, never dispatched: the plan's outbox went with the store. Plan it again.
      if ((await deps.repo.load(id)) === undefined) {
        await deps.engine.handle(id, start);
        restarted++;
      }
      continue;
    }
    if ((await deps.repo.save(0, state, [], deps.now())) === 0) continue; // it has state again
    const current = state.attempts[state.currentAttempt - 1];
    const timers = [
      { id: timerId(id, { kind: "expiry" }), dueAt: state.facts.expiresAt },
      ...(current
        ? [{ id: timerId(id, { kind: "fallback", attempt: current.attempt }), dueAt: current.dueAt }]
        : []),
    ];
    for (const t of timers) {
      await deps.store.run(scheduleTimer, {
        key: timerSetFor(t.id, deps.timerShards),
        id: t.id,
        dueAtMs: Math.max(0, Math.round(t.dueAt)),
      });
    }
    restored++;
  }
  deps.logger.info("routing state rebuilt from the log", { restored, restarted });
}
