/** evolve(state, event) → state for one verification's routing. */
import type { AttemptRecord, ReceiptStatus, RoutingEvent, RoutingSettings, RoutingState } from "./types";

const APPLIED_INPUTS_KEPT = 64;

export function initialRoutingState(verificationId: string, tenant = ""): RoutingState {
  return {
    verificationId,
    tenant,
    status: "new",
    facts: undefined,
    workflow: "",
    steps: [],
    currentAttempt: 0,
    attempts: [],
    decisions: [],
    stoppedReason: "",
    appliedInputs: [],
  };
}

export function evolveAll(state: RoutingState, events: readonly RoutingEvent[], settings?: RoutingSettings) {
  return events.reduce((s, e) => evolve(s, e, settings), state);
}

function evolve(state: RoutingState, event: RoutingEvent, settings?: RoutingSettings): RoutingState {
  const keep = settings?.maxDecisions ?? 32;
  const withDecision = (decisions: RoutingState["decisions"], d: RoutingState["decisions"][number]) =>
    [...decisions, d].slice(-keep);
  switch (event.type) {
    case "RoutePlanned":
      return {
        ...state,
        status: "active",
        tenant: event.tenant,
        facts: event.facts,
        workflow: event.workflow,
        steps: event.steps,
        decisions: withDecision(state.decisions, event.decision),
      };
    case "DispatchRequested":
      return {
        ...state,
        currentAttempt: event.attempt,
        stoppedReason: "",
        attempts: [...state.attempts, attemptOf(event)],
        decisions: withDecision(state.decisions, event.decision),
      };
    case "ReceiptRecorded":
      return updateAttempt(state, event.attempt, (a) => ({
        ...a,
        lastStatus: furthest(a.lastStatus, event.status),
        outcome: outcomeAfterReceipt(a, event.status, event.failureClass),
        failureReason: event.reason || a.failureReason,
        healthCounted: a.healthCounted || event.sample !== undefined,
      }));
    case "AttemptTimedOut":
      return updateAttempt(state, event.attempt, (a) => ({
        ...a,
        outcome: a.advanceWhen === "not_delivered" && a.outcome === "pending" ? "timed_out" : a.outcome,
        failureReason:
          a.advanceWhen === "not_delivered" && a.outcome === "pending" ? "TIMEOUT" : a.failureReason,
        healthCounted: a.healthCounted || event.sample !== undefined,
      }));
    case "CodeReplaced":
      return state.facts
        ? {
            ...state,
            facts: {
              ...state.facts,
              code: event.code ?? state.facts.code,
              expiresAt: event.expiresAt ?? state.facts.expiresAt,
            },
          }
        : state;
    case "DispatchCancelled":
      return updateAttempt(state, event.attempt, (a) => ({ ...a, outcome: "cancelled" }));
    case "RoutingStopped":
      return {
        ...state,
        stoppedReason: event.reason,
        decisions: withDecision(state.decisions, event.decision),
      };
    case "VerificationEnded":
      return { ...state, status: event.outcome };
    case "VerificationExpired":
      return { ...state, status: "expired" };
    case "VerificationFailed":
      return { ...state, status: "failed", stoppedReason: event.reason };
    case "InputApplied":
      return { ...state, appliedInputs: [...state.appliedInputs, event.inputId].slice(-APPLIED_INPUTS_KEPT) };
    case "ConversionRecorded": {
      const counted = new Set((event.evidence ?? []).map((e) => e.attempt));
      if (counted.size === 0) return state;
      return {
        ...state,
        attempts: state.attempts.map((a) => (counted.has(a.attempt) ? { ...a, healthCounted: true } : a)),
      };
    }
    case "FallbackTriggered":
      return state;
  }
}

function attemptOf(event: Extract<RoutingEvent, { type: "DispatchRequested" }>): AttemptRecord {
  return {
    attempt: event.attempt,
    stepIndex: event.stepIndex,
    channel: event.channel,
    route: event.route,
    requestedAt: event.at,
    dueAt: event.dueAt,
    advanceWhen: event.advanceWhen,
    timeoutSeconds: event.timeoutSeconds,
    outcome: "pending",
    lastStatus: "none",
    failureReason: "",
    healthCounted: false,
  };
}

function updateAttempt(
  state: RoutingState,
  attempt: number,
  update: (a: AttemptRecord) => AttemptRecord,
): RoutingState {
  return { ...state, attempts: state.attempts.map((a) => (a.attempt === attempt ? update(a) : a)) };
}

const PROGRESS: Record<ReceiptStatus | "none", number> = {
  none: 0,
  unspecified: 0,
  queued: 1,
  accepted: 2,
  sent: 3,
  delivered: 4,
  read: 5,
  failed: 6,
  expired: 6,
  cancelled: 6,
};

/** Receipts may arrive out of order (a "sent" after "delivered"): keep the furthest. */
function furthest(current: ReceiptStatus | "none", next: ReceiptStatus): ReceiptStatus | "none" {
  if (current === "delivered" || current === "read") return next === "read" ? "read" : current;
  return PROGRESS[next] >= PROGRESS[current] ? next : current;
}

function outcomeAfterReceipt(
  a: AttemptRecord,
  status: ReceiptStatus,
  failureClass: string,
): AttemptRecord["outcome"] {
  if (status === "delivered" || status === "read") return a.outcome === "cancelled" ? a.outcome : "delivered";
  const final = status === "expired" || (status === "failed" && failureClass !== "transient");
  if (!final || !(a.outcome === "pending" || a.outcome === "timed_out" || a.outcome === "in_doubt"))
    return a.outcome;
  return status === "failed" && failureClass === "unknown" ? "in_doubt" : "failed";
}
