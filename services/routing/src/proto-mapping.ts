/** The core's names ↔ the otp.v1 enums and messages. */
import { FallbackReason } from "@proto/otp/events/v1/events";
import {
  Channel,
  type ChannelHealth,
  FailureClass,
  HealthState,
  type PlannedStep,
  RiskTier,
} from "@proto/otp/v1/common";
import type { RouteDecision } from "@proto/otp/v1/routing";
import { channelFromProto, channelToProto } from "@domain/policy/proto";
import { receiptStatusFromProto } from "@domain/receipt-status";
import type {
  ChannelName,
  Decision,
  FailureClassName,
  FallbackCause,
  HealthFigures,
  HealthStateName,
  PlanStep,
  RiskTierName,
} from "./core/types";

export { channelFromProto, channelToProto, receiptStatusFromProto };

export function failureClassFromProto(failureClass: FailureClass): FailureClassName {
  switch (failureClass) {
    case FailureClass.FAILURE_CLASS_PERMANENT:
      return "permanent";
    case FailureClass.FAILURE_CLASS_TRANSIENT:
      return "transient";
    case FailureClass.FAILURE_CLASS_UNKNOWN:
      return "unknown";
    case FailureClass.FAILURE_CLASS_UNSPECIFIED:
      return "unspecified";
  }
  return "unspecified"; // a value from a newer schema
}

export function riskTierFromProto(tier: RiskTier): RiskTierName | "unspecified" {
  switch (tier) {
    case RiskTier.RISK_TIER_LOW:
      return "low";
    case RiskTier.RISK_TIER_MEDIUM:
      return "medium";
    case RiskTier.RISK_TIER_HIGH:
      return "high";
    case RiskTier.RISK_TIER_UNSPECIFIED:
      return "unspecified";
  }
  return "unspecified"; // a value from a newer schema
}

const HEALTH_STATE: Record<HealthStateName, HealthState> = {
  healthy: HealthState.HEALTH_STATE_HEALTHY,
  degraded: HealthState.HEALTH_STATE_DEGRADED,
  down: HealthState.HEALTH_STATE_DOWN,
  unknown: HealthState.HEALTH_STATE_UNKNOWN,
};

export const healthStateToProto = (state: HealthStateName): HealthState => HEALTH_STATE[state];

export function channelHealthToProto(f: HealthFigures): ChannelHealth {
  return {
    channel: channelToProto(f.channel),
    route: f.operator ? `${f.route}@${f.operator}` : f.route,
    district: f.district,
    deliveryRate: f.deliveryRate,
    conversionRate: f.conversionRate,
    p50DeliveryMs: f.p50Ms,
    p95DeliveryMs: f.p95Ms,
    sampleSize: f.sampleSize,
    state: healthStateToProto(f.state),
  };
}

export function decisionToProto(d: Decision): RouteDecision {
  return {
    at: new Date(d.at),
    attempt: d.attempt,
    channel: d.channel ? channelToProto(d.channel) : Channel.CHANNEL_UNSPECIFIED,
    route: d.route,
    rule: d.rule,
    reason: d.reason,
    healthUsed: d.health.map(channelHealthToProto),
  };
}

export function plannedStepToProto(step: PlanStep): PlannedStep {
  return {
    channel: channelToProto(step.channel),
    route: step.route ?? "",
    timeoutSeconds: step.timeoutSeconds,
  };
}

const FALLBACK_REASON: Record<FallbackCause, FallbackReason> = {
  timeout: FallbackReason.FALLBACK_REASON_TIMEOUT,
  hard_failure: FallbackReason.FALLBACK_REASON_HARD_FAILURE,
  user_request: FallbackReason.FALLBACK_REASON_USER_REQUEST,
  channel_down: FallbackReason.FALLBACK_REASON_CHANNEL_DOWN,
};

export const fallbackReasonToProto = (cause: FallbackCause): FallbackReason => FALLBACK_REASON[cause];

/** A channel from an event, or undefined for "unspecified" (routing's choice). */
export function optionalChannel(channel: Channel): ChannelName | undefined {
  return channel === Channel.CHANNEL_UNSPECIFIED ? undefined : channelFromProto(channel);
}
