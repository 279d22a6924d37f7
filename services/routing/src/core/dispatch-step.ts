/**
 * Sending the next attempt: which step, which route, or why nothing more can be sent. A code is
 * never dispatched once it would expire before it could arrive, nor beyond the sends cap.
 * When nothing more can be sent, the verification fails if no attempt can still reach the user,
 * and otherwise waits (for the code to be checked, or to expire).
 */
import { isProbe } from "./plan-route";
import { describeFigures } from "./health-text";
import { chooseRoute, type RoutesTable } from "./routes";
import type {
  AttemptOutcome,
  AttemptRecord,
  ChannelName,
  Decision,
  DispatchCause,
  HealthFigures,
  HealthView,
  IncidentView,
  RoutingEvent,
  RoutingSettings,
  RoutingState,
  VerificationFacts,
} from "./types";

/** Routes not to take again for a channel: what failed there, or may have gone out already. */
const AVOIDED: ReadonlySet<AttemptOutcome> = new Set(["failed", "in_doubt", "timed_out"]);

export interface DecideContext {
  now: number;
  health: HealthView;
  /** Incidents operators declared for the verification's district (automatic ones excluded). */
  incidents: readonly IncidentView[];
  routes: RoutesTable;
  settings: RoutingSettings;
}

export interface DispatchRequest {
  /** First plan step to consider. */
  fromIndex: number;
  cause: DispatchCause;
  /** The attempt routing moves on from. */
  from?: AttemptRecord;
  /** Use exactly `fromIndex` (a user's choice), without skipping unavailable channels. */
  exact?: boolean;
  /** Rule and words for the decision, when the caller knows better (resends). */
  rule?: string;
  why?: string;
}

const DEFAULT_MAX_SENDS = 5;

export function dispatchNext(
  state: RoutingState,
  request: DispatchRequest,
  ctx: DecideContext,
): RoutingEvent[] {
  const facts = state.facts;
  if (!facts) return [];
  if (state.steps.length === 0)
    return stopOrFail(state, "no channel of the workflow may send to this number", ctx);
  const blocked = blockedReason(state, facts, ctx);
  if (blocked) return stopOrFail(state, blocked, ctx);
  const next = request.exact
    ? { index: request.fromIndex, skipped: [] }
    : nextStep(state, request.fromIndex, ctx);
  const step = next ? state.steps[next.index] : undefined;
  if (!next || !step) return stopOrFail(state, "every step of the workflow was tried", ctx);

  const attempt = state.attempts.length + 1;
  const avoid = state.attempts
    .filter((a) => a.channel === step.channel && AVOIDED.has(a.outcome))
    .map((a) => a.route);
  const route = chooseRoute({
    channel: step.channel,
    fixedRoute: step.route,
    operator: facts.operator,
    table: ctx.routes,
    health: ctx.health,
    avoid,
    key: `${state.verificationId}:${attempt}`,
  });
  const skipped = next.skipped.map((i) => skipReason(state.steps[i]!.channel, ctx)).join("; ");
  const channelFigures = ctx.health.channels[step.channel];
  const hastened = hastenedWait(step, channelFigures, ctx.settings);
  const timeoutSeconds = hastened?.seconds ?? step.timeoutSeconds;
  const stepText = `step ${next.index + 1} of ${state.steps.length} (${step.channel}, ${step.advanceWhen} within ${timeoutSeconds} s)`;
  const decision: Decision = {
    at: ctx.now,
    attempt,
    channel: step.channel,
    route: route.route,
    rule: `${request.rule ?? causeRule(request.cause)} ${route.rule}${hastened ? " wait:hastened" : ""}`,
    reason: [
      request.why,
      stepText,
      hastened?.why,
      skipped && `skipped ${skipped}`,
      `route ${route.route}: ${route.reason}`,
    ]
      .filter(Boolean)
      .join("; "),
    health: [...(channelFigures ? [channelFigures] : []), ...route.health],
  };
  const events: RoutingEvent[] = [];
  if (request.from && request.cause !== "first") {
    events.push({
      type: "FallbackTriggered",
      at: ctx.now,
      fromAttempt: request.from.attempt,
      fromChannel: request.from.channel,
      toAttempt: attempt,
      toChannel: step.channel,
      reason: request.cause,
      detail: [request.why, skipped && `skipped ${skipped}`].filter(Boolean).join("; "),
    });
  }
  events.push({
    type: "DispatchRequested",
    at: ctx.now,
    attempt,
    stepIndex: next.index,
    channel: step.channel,
    route: route.route,
    timeoutSeconds,
    advanceWhen: step.advanceWhen,
    dueAt: ctx.now + timeoutSeconds * 1000,
    code: facts.code,
    cause: request.cause,
    decision,
  });
  return events;
}

/**
 * The first reaction to a channel going bad, before it is judged down: while its evidence leans
 * a third of the way to a collapse (`hastenAtLean`), a "not delivered" step on it waits only the channel's usual delivery
 * time, so the fallback comes sooner (and the attempt's outcome is known sooner). No state changes.
 * Not a probe of a channel already down.
 */
function hastenedWait(
  step: { channel: ChannelName; timeoutSeconds: number; advanceWhen: string },
  figures: HealthFigures | undefined,
  settings: RoutingSettings,
): { seconds: number; why: string } | undefined {
  const seconds = settings.hastenedWaitSeconds[step.channel];
  const lean = figures?.collapseLean ?? 0;
  if (seconds === undefined || step.advanceWhen !== "not_delivered" || seconds >= step.timeoutSeconds)
    return undefined;
  // A probe of a down channel keeps the full wait: a recovering network is often slow, and a
  // late delivery is the success that brings the channel back.
  if (lean < settings.hastenAtLean || figures?.state === "down") return undefined;
  return {
    seconds,
    why: `${step.channel}'s recent evidence leans ${Math.round(lean * 100)}% of the way to a collapse: waiting ${seconds} s, not ${step.timeoutSeconds} s`,
  };
}

/** Nothing more will be sent: fail when no attempt can still reach the user, else wait. */
export function stopOrFail(state: RoutingState, reason: string, ctx: DecideContext): RoutingEvent[] {
  if (!canStillReachUser(state)) return [{ type: "VerificationFailed", at: ctx.now, reason }];
  if (state.stoppedReason !== "") return [];
  return [
    {
      type: "RoutingStopped",
      at: ctx.now,
      reason,
      decision: {
        at: ctx.now,
        attempt: state.currentAttempt,
        route: "",
        rule: "stop",
        reason: `${reason}; waiting for the code sent earlier to be checked`,
        health: [],
      },
    },
  ];
}

/** An attempt was delivered, or may still be (no result yet, or one nobody knows). */
export function canStillReachUser(state: RoutingState): boolean {
  return state.attempts.some(
    (a) => a.outcome === "delivered" || a.outcome === "pending" || a.outcome === "in_doubt",
  );
}

/** A channel routing should not start a step on right now, unless nothing else is left. */
function unavailability(channel: ChannelName, state: RoutingState, ctx: DecideContext): string | undefined {
  const incident = ctx.incidents.find((i) => i.channels.includes(channel));
  if (incident) return `incident ${incident.incidentId}`;
  const figures = ctx.health.channels[channel];
  if (figures?.state === "down" && !isProbe(state.verificationId, ctx.settings, ctx.health))
    return describeFigures(figures);
  return undefined;
}

function nextStep(
  state: RoutingState,
  fromIndex: number,
  ctx: DecideContext,
): { index: number; skipped: number[] } | undefined {
  const skipped: number[] = [];
  for (let i = fromIndex; i < state.steps.length; i++) {
    const channel = state.steps[i]!.channel;
    // A last resort is reached in its turn, never jumped to because channels before it are down.
    if (i > fromIndex && ctx.settings.lastResortChannels.includes(channel)) break;
    if (unavailability(channel, state, ctx) === undefined) return { index: i, skipped };
    skipped.push(i);
  }
  // Every channel before the last resort is unavailable: the next one is still better than nothing.
  return fromIndex < state.steps.length ? { index: fromIndex, skipped: [] } : undefined;
}

function skipReason(channel: ChannelName, ctx: DecideContext): string {
  const incident = ctx.incidents.find((i) => i.channels.includes(channel));
  if (incident) return `${channel} (incident ${incident.incidentId})`;
  const figures: HealthFigures | undefined = ctx.health.channels[channel];
  return figures ? `${channel} (${describeFigures(figures)})` : channel;
}

function blockedReason(
  state: RoutingState,
  facts: VerificationFacts,
  ctx: DecideContext,
): string | undefined {
  const left = facts.expiresAt - ctx.now;
  if (left < ctx.settings.minRemainingMs) {
    return left <= 0
      ? "the code has expired"
      : `the code expires in ${Math.ceil(left / 1000)} s, too soon for another send`;
  }
  const cap = facts.maxSends > 0 ? facts.maxSends : DEFAULT_MAX_SENDS;
  if (state.attempts.length >= cap) return `sends cap of ${cap} reached`;
  return undefined;
}

function causeRule(cause: DispatchCause): string {
  switch (cause) {
    case "first":
      return "plan:first-step";
    case "timeout":
      return "fallback:timeout";
    case "hard_failure":
      return "fallback:hard-failure";
    case "user_request":
      return "resend:user-request";
    case "channel_down":
      return "fallback:channel-down";
  }
}
