/**
 * What routing's events say about channel health: a send, an outcome (delivered, failed,
 * neutral, timed out) or a conversion of an attempt, in the district and on the route it went,
 * and the bucket of the health window each is filed under. The store tallies them
 * (health/health-store.ts); the scenario runner files them on a simulated clock.
 */
import type { WindowShape } from "./health-window";
import type { ChannelName, HealthSample, RoutingEvent, RoutingState } from "./types";

export interface HealthObservation {
  at: number;
  /** For an outcome: when its attempt was sent; the outcome is filed under that bucket. */
  sentAt?: number;
  district: string;
  operator: string;
  channel: ChannelName;
  route: string;
  sample: HealthSample;
}

/** The observations of one event already folded into `state`, in the order they happened. */
export function observationsOf(event: RoutingEvent, state: RoutingState): HealthObservation[] {
  const observe = (at: number, attempt: number, sample: HealthSample): HealthObservation[] => {
    const record = state.attempts[attempt - 1];
    if (!record || !state.facts) return [];
    const { district, operator } = state.facts;
    return [
      {
        at,
        // Outcomes are filed under the time the attempt was sent (see health-state.ts).
        ...(sample.kind === "delivered" || sample.kind === "failed" || sample.kind === "neutral"
          ? { sentAt: record.requestedAt }
          : {}),
        district,
        operator,
        channel: record.channel,
        route: record.route,
        sample,
      },
    ];
  };
  switch (event.type) {
    case "DispatchRequested":
      return observe(event.at, event.attempt, { kind: "sent" });
    case "ReceiptRecorded":
    case "AttemptTimedOut":
      return event.sample ? observe(event.at, event.attempt, event.sample) : [];
    case "ConversionRecorded":
      return [
        ...(event.evidence ?? []).flatMap((e) => observe(event.at, e.attempt, e.sample)),
        ...observe(event.at, event.attempt, { kind: "verified" }),
      ];
    case "RoutePlanned":
    case "FallbackTriggered":
    case "CodeReplaced":
    case "DispatchCancelled":
    case "RoutingStopped":
    case "VerificationEnded":
    case "VerificationExpired":
    case "VerificationFailed":
    case "InputApplied":
      return [];
  }
}

/**
 * The time an observation is filed under: an outcome under its attempt's send time, so each
 * bucket holds what was sent in it and what became of that; an outcome too late for its send's
 * bucket to still be in the ring (the slot may hold a newer bucket) under its own time. A neutral
 * outcome takes back its send, so it is filed with the send or not at all (undefined).
 */
export function filedAt(
  o: Pick<HealthObservation, "at" | "sentAt" | "sample">,
  shape: WindowShape,
): number | undefined {
  const neutral = o.sample.kind === "neutral";
  if (o.sentAt === undefined || o.sentAt > o.at) return neutral ? undefined : o.at;
  if (o.at - o.sentAt < shape.windowMs - 2 * shape.bucketMs) return o.sentAt;
  return neutral ? undefined : o.at;
}
