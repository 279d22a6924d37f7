/**
 * Outcome metrics from the verification's whole history: the projector sees every lifecycle
 * event (one consumer group shared by the verification replicas, so each event is counted
 * once) together with the folded state, which knows what no single event says — when the
 * attempt was requested, which attempt delivered the code that was verified, the purpose.
 *
 *   createProjector({ ..., projection: observeLifecycle(projection, metrics, now) })
 *
 * Events older than `maxEventAgeMs` are not counted, so a projection rebuilt from the log does
 * not count history again. A redelivered event (after a crash) may be counted twice.
 */
import { CheckOutcome, type DeliveryReported, type EventEnvelope } from "@proto/otp/events/v1/events";
import { DeliveryStatus } from "@proto/otp/v1/common";
import type { AttemptState, VerificationState } from "@domain/verification";
import type { EventCase } from "@platform/events/envelope";
import type { VerificationProjection } from "@verification-state/projection";
import { channelLabel, checkOutcomeLabel, orNone } from "@platform/telemetry/labels";
import type { OtpMetrics } from "@platform/telemetry/metrics";

type LifecycleMetrics = Pick<
  OtpMetrics,
  "codeChecks" | "verificationsFinished" | "verified" | "timeToDeliver" | "timeToVerify"
>;

const FIVE_MINUTES = 5 * 60_000;

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

export function recordEvent(metrics: LifecycleMetrics, env: EventEnvelope, state: VerificationState): void {
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
