/**
 * decide(command, state, context) → events, for one verification's routing. Pure: the time,
 * health, incidents and routes come in the context. Each command composes small decisions,
 * folding the events of one before taking the next (a receipt is recorded before the
 * fallback it causes is decided).
 */
import { canStillReachUser, type DecideContext, dispatchNext, stopOrFail } from "./dispatch-step";
import { describeFigures } from "./health-text";
import { planRoute } from "./plan-route";
import { evolveAll } from "./routing-evolve";
import type {
  AttemptRecord,
  ChannelName,
  FinishOutcome,
  HealthSample,
  Receipt,
  RoutingCommand,
  RoutingEvent,
  RoutingState,
} from "./types";

/** Expiry timers may run a little early on a replica whose clock is ahead. */
const EXPIRY_CLOCK_TOLERANCE_MS = 1_000;

export function decide(command: RoutingCommand, state: RoutingState, ctx: DecideContext): RoutingEvent[] {
  switch (command.type) {
    case "Start":
      return decideStart(command, state, ctx);
    case "RecordReceipt":
      return decideReceipt(command.receipt, state, ctx);
    case "Resend":
      return decideResend(command, state, ctx);
    case "Finish":
      return decideFinish(command.outcome, command.matchedAttempt, state, ctx);
    case "FallbackDue":
      return decideFallbackDue(command.attempt, state, ctx);
    case "ExpiryDue":
      return decideExpiry(state, ctx);
    case "NetworkResult":
      return decideNetworkResult(command, state, ctx);
  }
}

/**
 * The silent step's answer. True ends the verification as verified (the verification projector
 * records it from the same event). False or an error moves on at once: waiting cannot change the
 * network's answer. A mismatch still shows the channel working (the operator answered), so for
 * health it counts as delivered; no mobile data, operator errors and timeouts count as failures.
 */
function decideNetworkResult(
  command: Extract<RoutingCommand, { type: "NetworkResult" }>,
  state: RoutingState,
  ctx: DecideContext,
): RoutingEvent[] {
  if (state.status !== "active") return [];
  const record = state.attempts.findLast((a) => a.channel === "silent");
  if (command.verified) {
    const receipt: Receipt = {
      attempt: record?.attempt ?? 0,
      status: "delivered",
      failureClass: "unspecified",
      reason: "",
      at: command.at,
    };
    const recorded = record ? [receiptRecorded(record, receipt, state, ctx)] : [];
    return then(state, recorded, (s) => decideFinish("verified", record?.attempt, s, ctx));
  }
  if (!record) return [];
  const receipt: Receipt = {
    attempt: record.attempt,
    channel: "silent",
    status: "failed",
    failureClass: "permanent",
    reason: command.reason || "SILENT_NOT_VERIFIED",
    at: command.at,
  };
  const answered = command.reason === "SILENT_NUMBER_MISMATCH";
  const recorded = receiptRecorded(
    record,
    answered ? { ...receipt, status: "delivered" } : receipt,
    state,
    ctx,
  );
  // The attempt's outcome is a failure either way: the number was not confirmed.
  const failed: RoutingEvent = {
    ...recorded,
    status: "failed",
    failureClass: "permanent",
    reason: receipt.reason,
  };
  return decideReceiptWith(receipt, failed, state, ctx);
}

function receiptRecorded(
  record: AttemptRecord,
  receipt: Receipt,
  state: RoutingState,
  ctx: DecideContext,
): Extract<RoutingEvent, { type: "ReceiptRecorded" }> {
  const late =
    state.status !== "active" || record.attempt !== state.currentAttempt || record.outcome === "timed_out";
  return {
    type: "ReceiptRecorded",
    at: ctx.now,
    attempt: record.attempt,
    status: receipt.status,
    failureClass: receipt.failureClass,
    reason: receipt.reason,
    late,
    ...healthSampleOf(record, receipt),
  };
}

/** Runs `next` on the state after `first`, and returns both groups of events. */
function then(
  state: RoutingState,
  first: RoutingEvent[],
  next: (state: RoutingState) => RoutingEvent[],
): RoutingEvent[] {
  return [...first, ...next(evolveAll(state, first))];
}

function decideStart(
  command: Extract<RoutingCommand, { type: "Start" }>,
  state: RoutingState,
  ctx: DecideContext,
): RoutingEvent[] {
  if (state.status !== "new") return [];
  const { facts, workflow } = command;
  // A code that has expired reaches no one in time. A start routing reads only after its code's
  // life (a copy of one read again once its finished state was dropped) sends nothing.
  if (facts.expiresAt > 0 && ctx.now >= facts.expiresAt) return [];
  const planned = planRoute({
    verificationId: state.verificationId,
    workflow,
    purpose: facts.purpose,
    riskTier: facts.riskTier,
    district: facts.district,
    preference: facts.channelPreference,
    health: ctx.health,
    incidents: ctx.incidents,
    settings: ctx.settings,
    now: ctx.now,
  });
  const plannedEvent: RoutingEvent = {
    type: "RoutePlanned",
    at: ctx.now,
    tenant: command.tenant,
    facts,
    workflow: workflow.name,
    steps: planned.steps,
    decision: planned.decision,
  };
  return then(state, [plannedEvent], (s) => dispatchNext(s, { fromIndex: 0, cause: "first" }, ctx));
}

function decideReceipt(receipt: Receipt, state: RoutingState, ctx: DecideContext): RoutingEvent[] {
  const record = state.attempts[receipt.attempt - 1];
  if (state.status === "new" || !record) return [];
  return decideReceiptWith(receipt, receiptRecorded(record, receipt, state, ctx), state, ctx);
}

/** Records a receipt, then falls back at once when it is a hard failure of the current attempt. */
function decideReceiptWith(
  receipt: Receipt,
  recorded: Extract<RoutingEvent, { type: "ReceiptRecorded" }>,
  state: RoutingState,
  ctx: DecideContext,
): RoutingEvent[] {
  const record = state.attempts[recorded.attempt - 1];
  if (!record) return [];
  const active = state.status === "active";
  const late = recorded.late;
  return then(state, [recorded], (s) => {
    if (!active) return [];
    if (!late && isHardFailure(receipt)) {
      return dispatchNext(
        s,
        {
          fromIndex: record.stepIndex + 1,
          cause: "hard_failure",
          from: record,
          why: `attempt ${record.attempt} on ${record.channel} failed: ${receipt.reason || receipt.status}`,
        },
        ctx,
      );
    }
    // A late failure may leave nothing that can still reach the user.
    if (s.stoppedReason !== "" && !canStillReachUser(s)) return stopOrFail(s, s.stoppedReason, ctx);
    return [];
  });
}

/**
 * Failures that no waiting can mend: a permanent failure, an outcome nobody knows (an SMPP
 * response timeout: never resend blindly on the same route), or expiry in the network.
 * A transient failure is the connector's to retry; the step's timer still stands.
 */
function isHardFailure(receipt: Receipt): boolean {
  if (receipt.status === "expired") return true;
  if (receipt.status !== "failed") return false;
  return receipt.failureClass !== "transient";
}

/**
 * Failures that are a fact about the user, not the network: the number is not on the channel
 * (WhatsApp's 131026: no account, or a client too old to take the message). They would fail in
 * any district at any time, so they are neutral for health: a district with more such users is
 * not less healthy, and a collapse is not hidden or imitated by them.
 */
const NOT_ON_CHANNEL_REASONS: ReadonlySet<string> = new Set(["WHATSAPP_131026"]);

function healthSampleOf(record: AttemptRecord, receipt: Receipt): { sample?: HealthSample } {
  if (record.healthCounted) return {};
  switch (receipt.status) {
    case "delivered":
    case "read":
      return { sample: { kind: "delivered", latencyMs: Math.max(0, receipt.at - record.requestedAt) } };
    case "failed":
      if (receipt.failureClass === "transient") return {};
      return { sample: { kind: NOT_ON_CHANNEL_REASONS.has(receipt.reason) ? "neutral" : "failed" } };
    case "expired":
      return { sample: { kind: "failed" } };
    case "queued":
    case "accepted":
    case "sent":
    case "cancelled":
    case "unspecified":
      return {};
  }
}

function decideResend(
  command: Extract<RoutingCommand, { type: "Resend" }>,
  state: RoutingState,
  ctx: DecideContext,
): RoutingEvent[] {
  if (state.status !== "active" || !state.facts || state.steps.length === 0) return [];
  const replaced: RoutingEvent[] =
    command.newCode || (command.expiresAt && command.expiresAt !== state.facts.expiresAt)
      ? [{ type: "CodeReplaced", at: ctx.now, code: command.newCode, expiresAt: command.expiresAt }]
      : [];
  return then(state, replaced, (s) => {
    const choice = resendChannel(s, command.channel, ctx);
    if (!choice) return [];
    const index = s.steps.findIndex((step) => step.channel === choice.channel);
    const current = s.attempts[s.currentAttempt - 1];
    return dispatchNext(
      s,
      {
        fromIndex: index,
        exact: true,
        cause: "user_request",
        from: current,
        rule: choice.rule,
        why: choice.why,
      },
      ctx,
    );
  });
}

/** The channel a resend goes out on: the user's choice if the workflow allows it, else the healthiest. */
function resendChannel(
  state: RoutingState,
  requested: ChannelName | undefined,
  ctx: DecideContext,
): { channel: ChannelName; rule: string; why: string } | undefined {
  // A silent step cannot be sent again: the app opened its single-use URL already.
  const channels: ChannelName[] = [...new Set(state.steps.map((s) => s.channel))].filter(
    (c) => c !== "silent",
  );
  if (channels.length === 0) return undefined;
  if (requested && channels.includes(requested)) {
    return { channel: requested, rule: "resend:requested", why: `the user asked for ${requested}` };
  }
  const ranked = rankByHealth(channels, ctx);
  const best = ranked[0]!;
  const figures = ctx.health.channels[best];
  const health = figures ? ` (${describeFigures(figures)})` : "";
  if (requested) {
    return {
      channel: best,
      rule: "resend:not-in-workflow",
      why: `the user asked for ${requested}, which the ${state.workflow} workflow does not allow; ${best} is healthiest${health}`,
    };
  }
  return { channel: best, rule: "resend:best-health", why: `${best} is healthiest in the district${health}` };
}

const STATE_RANK = { healthy: 0, unknown: 1, degraded: 2, down: 3 } as const;

/** Healthy before unknown before degraded before down; then delivery rate; then workflow order. */
function rankByHealth(channels: readonly ChannelName[], ctx: DecideContext): ChannelName[] {
  const score = (c: ChannelName) => {
    const f = ctx.health.channels[c];
    const incident = ctx.incidents.some((i) => i.channels.includes(c));
    return {
      state: incident ? STATE_RANK.down : STATE_RANK[f?.state ?? "unknown"],
      rate: f?.deliveryRate ?? 0,
    };
  };
  return [...channels].sort((a, b) => {
    const sa = score(a);
    const sb = score(b);
    if (sa.state !== sb.state) return sa.state - sb.state;
    if (sa.state === STATE_RANK.unknown) return 0;
    return sb.rate - sa.rate;
  });
}

function decideFinish(
  outcome: FinishOutcome,
  matchedAttempt: number | undefined,
  state: RoutingState,
  ctx: DecideContext,
): RoutingEvent[] {
  if (state.status !== "active") return [];
  const converted =
    matchedAttempt && state.attempts[matchedAttempt - 1] ? matchedAttempt : state.currentAttempt;
  return [
    ...(outcome === "verified" && converted > 0
      ? [
          {
            type: "ConversionRecorded",
            at: ctx.now,
            attempt: converted,
            evidence: conversionEvidence(state, converted, ctx.now),
          } as const,
        ]
      : []),
    ...cancelPendingCalls(state, ctx, `verification ${outcome}`),
    { type: "VerificationEnded", at: ctx.now, outcome },
  ];
}

/**
 * A conversion is the signal that cannot lie: the converted attempt reached the user (a success
 * if no receipt said so), and earlier attempts on other channels that were never counted did not
 * (the user verified through the fallback instead).
 */
function conversionEvidence(
  state: RoutingState,
  converted: number,
  now: number,
): { attempt: number; sample: HealthSample }[] {
  const winner = state.attempts[converted - 1];
  if (!winner) return [];
  const evidence: { attempt: number; sample: HealthSample }[] = [];
  for (const a of state.attempts) {
    if (a.healthCounted || a.attempt > converted) continue;
    if (a.attempt === converted) {
      evidence.push({
        attempt: a.attempt,
        sample: { kind: "delivered", latencyMs: Math.max(0, now - a.requestedAt) },
      });
    } else if (a.channel !== winner.channel && a.outcome !== "delivered" && a.outcome !== "cancelled") {
      evidence.push({ attempt: a.attempt, sample: { kind: "failed" } });
    }
  }
  return evidence;
}

function decideFallbackDue(attempt: number, state: RoutingState, ctx: DecideContext): RoutingEvent[] {
  const record = state.attempts[attempt - 1];
  if (state.status !== "active" || !record || attempt !== state.currentAttempt) return [];
  if (record.advanceWhen === "not_delivered" && record.outcome === "delivered") return [];
  const timedOut: RoutingEvent = {
    type: "AttemptTimedOut",
    at: ctx.now,
    attempt,
    ...(record.advanceWhen === "not_delivered" && !record.healthCounted
      ? { sample: { kind: "failed" } as const }
      : {}),
  };
  const condition = record.advanceWhen === "not_delivered" ? "no delivery receipt" : "not verified";
  return then(state, [timedOut], (s) =>
    dispatchNext(
      s,
      {
        fromIndex: record.stepIndex + 1,
        cause: "timeout",
        from: record,
        why: `attempt ${attempt} on ${record.channel}: ${condition} within ${record.timeoutSeconds} s`,
      },
      ctx,
    ),
  );
}

function decideExpiry(state: RoutingState, ctx: DecideContext): RoutingEvent[] {
  if (state.status !== "active" || !state.facts) return [];
  if (ctx.now < state.facts.expiresAt - EXPIRY_CLOCK_TOLERANCE_MS) return [];
  return [...cancelPendingCalls(state, ctx, "code expired"), { type: "VerificationExpired", at: ctx.now }];
}

/** Voice attempts still queued or ringing: the call would read out a code nobody needs. */
function cancelPendingCalls(state: RoutingState, ctx: DecideContext, reason: string): RoutingEvent[] {
  const ringing = new Set(["none", "queued", "accepted", "sent"]);
  return state.attempts
    .filter((a) => a.channel === "voice" && a.outcome === "pending" && ringing.has(a.lastStatus))
    .map((a) => ({ type: "DispatchCancelled", at: ctx.now, attempt: a.attempt, channel: a.channel, reason }));
}
