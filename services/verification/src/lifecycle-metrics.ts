/**
 * Outcome metrics from the verification's whole history, declared by the verification service
 * on the process's registry (`metrics.declare(lifecycleMetrics)`): the projector sees every lifecycle
 * event (one consumer group shared by the verification replicas, so each event is counted
 * once) together with the folded state, which knows what no single event says — when the
 * attempt was requested, which attempt delivered the code that was verified, the purpose.
 *
 *   createProjector({ ..., projection: observeLifecycle(projection, metrics, now) })
 *
 * Events older than `maxEventAgeMs` are not counted, so a projection rebuilt from the log does
 * not count history again. A redelivered event (after a crash) may be counted twice.
 */
import { Counter, Histogram, type Registry } from "prom-client";
import { CheckOutcome, type DeliveryReported, type EventEnvelope } from "@proto/otp/events/v1/events";
import { DeliveryStatus } from "@proto/otp/v1/common";
import type { AttemptState, VerificationState } from "@domain/verification";
import type { EventCase } from "@platform/events/envelope";
import type { VerificationProjection } from "@verification-state/projection";
import { channelLabel, checkOutcomeLabel, DELIVERY_LABELS, orNone } from "@platform/telemetry/labels";

/** Seconds from a dispatch request to the handset's delivery confirmation. */
const DELIVER_BUCKETS = [0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60, 120, 300];
/** Seconds from StartVerification to the verified code: the user's wait and typing. */
const VERIFY_BUCKETS = [2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600];

const FIVE_MINUTES = 5 * 60_000;

export type LifecycleMetrics = ReturnType<typeof lifecycleMetrics>;

export function lifecycleMetrics(registers: Registry[]) {
  return {
    codeChecks: new Counter({
      name: "otp_code_checks_total",
      help: "Recorded code checks by purpose and outcome (verified, wrong_code, expired, locked...)",
      labelNames: ["purpose", "outcome"] as const,
      registers,
    }),
    verificationsFinished: new Counter({
      name: "otp_verifications_finished_total",
      help: "Verifications that reached a final status, by purpose and status",
      labelNames: ["purpose", "outcome"] as const,
      registers,
    }),
    verified: new Counter({
      name: "otp_verified_total",
      help: "Verified codes, attributed to the attempt that delivered them (conversion = verified / sends)",
      labelNames: DELIVERY_LABELS,
      registers,
    }),
    timeToDeliver: new Histogram({
      name: "otp_time_to_deliver_seconds",
      help: "From the dispatch request to the delivery confirmation of an attempt",
      labelNames: ["channel", "district"] as const,
      buckets: DELIVER_BUCKETS,
      registers,
    }),
    timeToVerify: new Histogram({
      name: "otp_time_to_verify_seconds",
      help: "From StartVerification to the verified code",
      labelNames: ["channel", "purpose"] as const,
      buckets: VERIFY_BUCKETS,
      registers,
    }),
  };
}

export function observeLifecycle(
  projection: VerificationProjection,
  metrics: LifecycleMetrics | undefined,
  now: () => number,
  maxEventAgeMs = FIVE_MINUTES,
): VerificationProjection {
  if (metrics === undefined) return projection;
  // Each event is recorded with the state right after it, also when a run of events is folded
  // into one write (the projector's batches).
  const applyEach: VerificationProjection["applyEach"] = async (verificationId, tenant, events) => {
    const applied = await projection.applyEach(verificationId, tenant, events);
    events.forEach((env, i) => {
      const at = env.occurredAt?.getTime() ?? 0;
      if (now() - at <= maxEventAgeMs) recordEvent(metrics, env, applied.steps[i] ?? applied.state);
    });
    return applied;
  };
  return {
    ...projection,
    applyEach,
    apply: async (verificationId, tenant, events) => (await applyEach(verificationId, tenant, events)).state,
  };
}

/** Events that end a verification, and the status they end it in (VERIFIED is a CodeChecked). */
const FINISHING: Partial<Record<EventCase, string>> = {
  verificationLocked: "locked",
  verificationExpired: "expired",
  verificationCancelled: "cancelled",
  verificationOverridden: "overridden",
  verificationFailed: "failed",
};

function recordEvent(metrics: LifecycleMetrics, env: EventEnvelope, state: VerificationState): void {
  const event = env.event;
  if (event === undefined) return;
  const purpose = orNone(state.purpose);
  if (event.$case === "deliveryReported") {
    recordDelivered(metrics, event.value, state);
  } else if (event.$case === "codeChecked") {
    metrics.codeChecks.inc({ purpose, outcome: checkOutcomeLabel(event.value.outcome) });
    if (event.value.outcome === CheckOutcome.CHECK_OUTCOME_VERIFIED) {
      metrics.verificationsFinished.inc({ purpose, outcome: "verified" });
      recordVerified(metrics, env, event.value.matchedAttempt, state);
    }
  } else {
    const outcome = FINISHING[event.$case];
    if (outcome !== undefined) metrics.verificationsFinished.inc({ purpose, outcome });
  }
}

function recordDelivered(
  metrics: LifecycleMetrics,
  report: DeliveryReported,
  state: VerificationState,
): void {
  if (report.status !== DeliveryStatus.DELIVERY_STATUS_DELIVERED) return;
  const attempt = state.attempts.find((a) => a.attempt === report.attempt);
  if (attempt?.deliveredAt === undefined || attempt.requestedAt <= 0) return;
  metrics.timeToDeliver.observe(
    { channel: channelLabel(report.channel), district: orNone(report.district || state.district) },
    Math.max(0, attempt.deliveredAt - attempt.requestedAt) / 1000,
  );
}

function recordVerified(
  metrics: LifecycleMetrics,
  env: EventEnvelope,
  matchedAttempt: number,
  state: VerificationState,
): void {
  const attempt = attributedAttempt(state, matchedAttempt);
  const channel = attempt === undefined ? "none" : channelLabel(attempt.channel);
  metrics.verified.inc({
    channel,
    district: orNone(state.district),
    route: orNone(attempt?.route ?? ""),
    operator: orNone(attempt?.operator || state.operator),
  });
  const at = env.occurredAt?.getTime();
  if (at !== undefined && state.createdAt > 0) {
    metrics.timeToVerify.observe(
      { channel, purpose: orNone(state.purpose) },
      Math.max(0, at - state.createdAt) / 1000,
    );
  }
}

/**
 * The attempt a verified code is credited to, for conversion per channel: the attempt whose
 * own code matched when every attempt has its own code; otherwise (one code for all) the
 * latest attempt that reached the handset, since that is where the user read it.
 */
export function attributedAttempt(
  state: VerificationState,
  matchedAttempt: number,
): AttemptState | undefined {
  const numbered = state.attempts.find((a) => a.attempt === matchedAttempt);
  if (state.codePerAttempt && numbered !== undefined) return numbered;
  const delivered = state.attempts.filter((a) => a.deliveredAt !== undefined).at(-1);
  return delivered ?? numbered ?? state.attempts.at(-1);
}
