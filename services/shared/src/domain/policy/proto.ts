/** Policy names ↔ the otp.v1 enums carried in events and responses. */
import { Channel, RiskTier, type PlannedStep } from "@proto/otp/v1/common";
import type { ChannelName, RiskTierName, WorkflowStep } from "./types";

const RISK_TIER_TO_PROTO: Record<RiskTierName, RiskTier> = {
  low: RiskTier.RISK_TIER_LOW,
  medium: RiskTier.RISK_TIER_MEDIUM,
  high: RiskTier.RISK_TIER_HIGH,
};

const CHANNEL_TO_PROTO: Record<ChannelName, Channel> = {
  whatsapp: Channel.CHANNEL_WHATSAPP,
  sms: Channel.CHANNEL_SMS,
  voice: Channel.CHANNEL_VOICE,
  silent: Channel.CHANNEL_SILENT,
};

export const riskTierToProto = (tier: RiskTierName): RiskTier => RISK_TIER_TO_PROTO[tier];
export const channelToProto = (channel: ChannelName): Channel => CHANNEL_TO_PROTO[channel];

export function channelFromProto(channel: Channel): ChannelName | undefined {
  const entry = Object.entries(CHANNEL_TO_PROTO).find(([, value]) => value === channel);
  return entry?.[0] as ChannelName | undefined;
}

/** A workflow as the steps of a route plan (the route is left empty for routing to choose). */
export function plannedSteps(steps: readonly WorkflowStep[]): PlannedStep[] {
  return steps.map((step) => ({
    channel: channelToProto(step.channel),
    route: step.route ?? "",
    timeoutSeconds: step.timeoutSeconds,
  }));
}
