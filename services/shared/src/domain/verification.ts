/**
 * The verification aggregate: `evolve(state, event)` folds the event log into the state every
 * service reads (the Redis projection is this state); `decide*` functions take a command and the
 * state and return the events to append, or a rejection. Pure: time is passed in, codes arrive
 * already sealed, nothing here touches gRPC, Kafka, Redis or node:*.
 *
 * The atomic code check itself runs in the store (one Lua script, see checkCode script), which
 * implements `decideCheck` below; a property test keeps the two in step.
 */
import type { EncryptedValue, EventEnvelope, VerificationStarted } from "@proto/otp/events/v1/events";
import {
  CheckOutcome,
  type DispatchRequested,
  type DeliveryReported,
  type NetworkVerificationReported,
} from "@proto/otp/events/v1/events";
import { Channel, DeliveryStatus, FailureClass, RiskTier, type PlannedStep } from "@proto/otp/v1/common";

export type VerificationStatus =
  "pending" | "delivered" | "verified" | "expired" | "cancelled" | "locked" | "failed";

const FINAL_STATUSES: ReadonlySet<VerificationStatus> = new Set([
  "verified",
  "expired",
  "cancelled",
  "locked",
  "failed",
]);

/** How a verified verification was verified; "" until then. */
export type VerifiedBy = "" | "code" | "network" | "override";

export interface AttemptState {
  attempt: number;
  channel: Channel;
  route: string;
  status: DeliveryStatus;
  failureClass: FailureClass;
  reason: string;
  operator: string;
  requestedAt: number;
  acceptedAt?: number;
  deliveredAt?: number;
  finishedAt?: number;
}

/** A code that may still be accepted: sealed, with the attempt that introduced it. */
export interface IssuedCode {
  attempt: number;
  sealed: EncryptedValue;
  expiresAt: number;
}

export interface VerificationState {
  id: string;
  tenant: string;
  status: VerificationStatus;
  purpose: string;
  riskTier: RiskTier;
  maskedPhone: string;
  phone: EncryptedValue | undefined;
  country: string;
  operator: string;
  district: string;
  locale: string;
  channelPreference: Channel;
  createdAt: number;
  expiresAt: number;
  maxChecks: number;
  checksUsed: number;
  maxSends: number;
  sendsUsed: number;
  resendCooldownMs: number;
  /** Resends are allowed until then (the expiry, or earlier by policy). */
  resendUntil: number;
  lastSendAt: number;
  numberType: string;
  codePerAttempt: boolean;
  /** Digits of every code of this verification (0 in a state written before it was kept). */
  codeLength: number;
  codes: IssuedCode[];
  hasBinding: boolean;
  transaction: EncryptedValue | undefined;
  plannedSteps: PlannedStep[];
  attempts: AttemptState[];
  /** Ids of events already applied, newest last (bounded), so replays are idempotent. */
  appliedEventIds: string[];
  /** Optional: states stored before silent authentication existed do not have it. */
  verifiedBy?: VerifiedBy;
}

const APPLIED_IDS_KEPT = 64;

export function initialState(id: string, tenant: string): VerificationState {
  return {
    id,
    tenant,
    status: "pending",
    purpose: "",
    riskTier: RiskTier.RISK_TIER_UNSPECIFIED,
    maskedPhone: "",
    phone: undefined,
    country: "",
    operator: "",
    district: "",
    locale: "",
    channelPreference: Channel.CHANNEL_UNSPECIFIED,
    createdAt: 0,
    expiresAt: 0,
    maxChecks: 0,
    checksUsed: 0,
    maxSends: 0,
    sendsUsed: 0,
    resendCooldownMs: 0,
    resendUntil: 0,
    lastSendAt: 0,
    numberType: "",
    codePerAttempt: false,
    codeLength: 0,
    codes: [],
    hasBinding: false,
    transaction: undefined,
    plannedSteps: [],
    attempts: [],
    appliedEventIds: [],
  };
}

const ms = (d: Date | undefined): number => (d ? d.getTime() : 0);

export function isFinal(state: VerificationState): boolean {
  return FINAL_STATUSES.has(state.status);
}

/** Folds one event into the state. Unknown or already-applied events leave it unchanged. */
export function evolve(state: VerificationState, envelope: EventEnvelope): VerificationState {
  if (envelope.eventId && state.appliedEventIds.includes(envelope.eventId)) return state;
  const next = applyEvent(state, envelope);
  if (next === state || !envelope.eventId) return next;
  return { ...next, appliedEventIds: [...next.appliedEventIds, envelope.eventId].slice(-APPLIED_IDS_KEPT) };
}

function applyEvent(state: VerificationState, envelope: EventEnvelope): VerificationState {
  const at = ms(envelope.occurredAt);
  const event = envelope.event;
  if (!event) return state;
  switch (event.$case) {
    case "verificationStarted":
      return started(state, event.value, at);
    case "routePlanned":
      return { ...state, plannedSteps: event.value.steps };
    case "dispatchRequested":
      return dispatched(state, event.value, at);
    case "deliveryReported":
      return delivered(state, event.value, at);
    case "resendRequested": {
      const { newCode, expiresAt } = event.value;
      if (!newCode) return state;
      const attempt = state.attempts.length + 1;
      return { ...state, codes: [...state.codes, { attempt, sealed: newCode, expiresAt: ms(expiresAt) }] };
    }
    case "codeChecked":
      return withMethod(state, checked(state, event.value.outcome, event.value.checksUsed), "code");
    case "verificationLocked":
      return state.status === "verified" ? state : { ...state, status: "locked" };
    case "verificationExpired":
      return isFinal(state) ? state : { ...state, status: "expired" };
    case "verificationCancelled":
      return isFinal(state) ? state : { ...state, status: "cancelled" };
    case "verificationOverridden":
      return isFinal(state) ? state : { ...state, status: "verified", verifiedBy: "override" };
    case "networkVerificationReported":
      return networkReported(state, event.value, at);
    case "verificationFailed":
      return isFinal(state) ? state : { ...state, status: "failed" };
    case "fallbackTriggered":
    case "dispatchCancelled":
    case "incidentDeclared":
    case "incidentResolved":
    case "channelHealthChanged":
    case "handoffRequested":
    case "supportMessageReceived":
      return state;
    default:
      return assertNever(event);
  }
}

function started(state: VerificationState, e: VerificationStarted, at: number): VerificationState {
  const expiresAt = ms(e.expiresAt);
  return {
    ...state,
    status: "pending",
    purpose: e.purpose,
    riskTier: e.riskTier,
    maskedPhone: e.maskedPhone,
    phone: e.phone,
    country: e.country,
    operator: e.operator,
    district: e.district,
    locale: e.locale,
    channelPreference: e.channelPreference,
    createdAt: at,
    expiresAt,
    maxChecks: e.maxChecks,
    maxSends: e.maxSends,
    resendCooldownMs: e.resendCooldownSeconds * 1000,
    resendUntil: ms(e.resendUntil) || expiresAt,
    numberType: e.numberType,
    codePerAttempt: e.codePerAttempt,
    codeLength: e.codeLength,
    codes: e.code ? [{ attempt: 0, sealed: e.code, expiresAt }] : [],
    hasBinding: e.hasTransactionBinding,
    transaction: e.transaction,
  };
}

function dispatched(state: VerificationState, e: DispatchRequested, at: number): VerificationState {
  if (state.attempts.some((a) => a.attempt === e.attempt)) return state;
  const attempt: AttemptState = {
    attempt: e.attempt,
    channel: e.channel,
    route: e.route,
    status: DeliveryStatus.DELIVERY_STATUS_QUEUED,
    failureClass: FailureClass.FAILURE_CLASS_UNSPECIFIED,
    reason: "",
    operator: e.operator,
    requestedAt: at,
  };
  // With a new code per attempt, a fallback's dispatch brings its own (resends added theirs).
  const newCode =
    state.codePerAttempt && e.code && !state.codes.some((c) => sameSealed(c.sealed, e.code!))
      ? [{ attempt: e.attempt, sealed: e.code, expiresAt: ms(e.expiresAt) || state.expiresAt }]
      : [];
  return {
    ...state,
    attempts: [...state.attempts, attempt],
    codes: [...state.codes, ...newCode],
    sendsUsed: state.sendsUsed + 1,
    lastSendAt: at,
  };
}

function sameSealed(a: EncryptedValue, b: EncryptedValue): boolean {
  if (a.keyId !== b.keyId || a.ciphertext.length !== b.ciphertext.length) return false;
  for (let i = 0; i < a.ciphertext.length; i++) if (a.ciphertext[i] !== b.ciphertext[i]) return false;
  return true;
}

/** Receipts only move an attempt forward (a late "sent" after "delivered" is recorded but ignored). */
const STATUS_RANK: Record<DeliveryStatus, number> = {
  [DeliveryStatus.DELIVERY_STATUS_UNSPECIFIED]: 0,
  [DeliveryStatus.DELIVERY_STATUS_QUEUED]: 1,
  [DeliveryStatus.DELIVERY_STATUS_ACCEPTED]: 2,
  [DeliveryStatus.DELIVERY_STATUS_SENT]: 3,
  [DeliveryStatus.DELIVERY_STATUS_DELIVERED]: 4,
  [DeliveryStatus.DELIVERY_STATUS_READ]: 5,
  [DeliveryStatus.DELIVERY_STATUS_FAILED]: 6,
  [DeliveryStatus.DELIVERY_STATUS_EXPIRED]: 6,
  [DeliveryStatus.DELIVERY_STATUS_CANCELLED]: 6,
};

const isDeliveredStatus = (s: DeliveryStatus): boolean =>
  s === DeliveryStatus.DELIVERY_STATUS_DELIVERED || s === DeliveryStatus.DELIVERY_STATUS_READ;

const isTerminalFailure = (s: DeliveryStatus): boolean =>
  s === DeliveryStatus.DELIVERY_STATUS_FAILED ||
  s === DeliveryStatus.DELIVERY_STATUS_EXPIRED ||
  s === DeliveryStatus.DELIVERY_STATUS_CANCELLED;

function delivered(state: VerificationState, e: DeliveryReported, at: number): VerificationState {
  const index = state.attempts.findIndex((a) => a.attempt === e.attempt);
  const current = state.attempts[index];
  if (!current) return state;
  const delivered = isDeliveredStatus(e.status);
  // A delivered attempt stays delivered: carriers send late failures for phones that got it.
  const forward =
    STATUS_RANK[e.status] > STATUS_RANK[current.status] && !(isDeliveredStatus(current.status) && !delivered);
  // Never before the attempt was requested: a provider's clock (or an SMSC's minute-precision
  // receipt date in its own time zone) must not put a delivery before its request.
  const when = Math.max(ms(e.providerTime) || at, current.requestedAt);
  const updated: AttemptState = forward
    ? {
        ...current,
        status: e.status,
        failureClass: e.failureClass,
        reason: e.reason || current.reason,
        route: e.route || current.route,
        operator: e.operator || current.operator,
        acceptedAt: current.acceptedAt ?? (STATUS_RANK[e.status] >= 2 ? when : undefined),
        deliveredAt: current.deliveredAt ?? (delivered ? when : undefined),
        finishedAt:
          isTerminalFailure(e.status) || delivered ? (current.finishedAt ?? when) : current.finishedAt,
      }
    : current;
  const attempts = state.attempts.map((a, i) => (i === index ? updated : a));
  const status = state.status === "pending" && delivered ? "delivered" : state.status;
  return { ...state, attempts, status };
}

/** Records the method when this event is the one that verified. */
function withMethod(before: VerificationState, after: VerificationState, by: VerifiedBy): VerificationState {
  return before.status !== "verified" && after.status === "verified" ? { ...after, verifiedBy: by } : after;
}

/**
 * The operator's answer to the silent step. True verifies (unless the verification already
 * ended: expiry and cancellation stand); the latest silent attempt shows the outcome either way.
 */
function networkReported(
  state: VerificationState,
  e: NetworkVerificationReported,
  at: number,
): VerificationState {
  const index = state.attempts.findLastIndex((a) => a.channel === Channel.CHANNEL_SILENT);
  const current = state.attempts[index];
  const attempts =
    current && current.finishedAt === undefined
      ? state.attempts.map((a, i) =>
          i === index
            ? {
                ...a,
                status: e.verified
                  ? DeliveryStatus.DELIVERY_STATUS_DELIVERED
                  : DeliveryStatus.DELIVERY_STATUS_FAILED,
                failureClass: e.verified
                  ? FailureClass.FAILURE_CLASS_UNSPECIFIED
                  : FailureClass.FAILURE_CLASS_PERMANENT,
                reason: e.reason,
                operator: e.operator || a.operator,
                deliveredAt: e.verified ? at : undefined,
                finishedAt: at,
              }
            : a,
        )
      : state.attempts;
  if (!e.verified || isFinal(state) || at >= state.expiresAt) return { ...state, attempts };
  return { ...state, attempts, status: "verified", verifiedBy: "network" };
}

function checked(state: VerificationState, outcome: CheckOutcome, checksUsed: number): VerificationState {
  const used = Math.max(state.checksUsed, checksUsed);
  switch (outcome) {
    case CheckOutcome.CHECK_OUTCOME_VERIFIED:
      return { ...state, checksUsed: used, status: "verified" };
    case CheckOutcome.CHECK_OUTCOME_WRONG_CODE:
    case CheckOutcome.CHECK_OUTCOME_BINDING_MISMATCH: {
      const locked = used >= state.maxChecks && state.maxChecks > 0 && !isFinal(state);
      return { ...state, checksUsed: used, status: locked ? "locked" : state.status };
    }
    case CheckOutcome.CHECK_OUTCOME_EXPIRED:
      return isFinal(state) ? state : { ...state, status: "expired" };
    case CheckOutcome.CHECK_OUTCOME_LOCKED:
    case CheckOutcome.CHECK_OUTCOME_ALREADY_USED:
    case CheckOutcome.CHECK_OUTCOME_CANCELLED:
    case CheckOutcome.CHECK_OUTCOME_FAILED:
    case CheckOutcome.CHECK_OUTCOME_UNSPECIFIED:
      return state;
    default:
      return assertNever(outcome);
  }
}

function assertNever(x: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(x)}`);
}
