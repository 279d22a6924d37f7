/** otp.v1 shapes (from gRPC, or from services in the all-in-one's process) → the assistant's plain snapshots. */
import {
  Channel,
  DeliveryStatus,
  HealthState,
  type ChannelHealth,
  type Incident,
  type Verification,
} from "@proto/otp/v1/common";
import { channelFromProto, channelToProto } from "@domain/policy/proto";
import { receiptStatusFromProto } from "@domain/receipt-status";
import type {
  AttemptStatus,
  ChannelHealthSnapshot,
  ChannelName,
  IncidentSnapshot,
  VerificationSnapshot,
} from "../core/types";

/** The channel a resend asks for; unspecified lets routing choose. */
export const resendChannel = (channel: ChannelName | undefined): Channel =>
  channel ? channelToProto(channel) : Channel.CHANNEL_UNSPECIFIED;

/** A receipt status the assistant does not know (or from a newer schema) is "unknown". */
function attemptStatus(status: DeliveryStatus): AttemptStatus {
  const name = receiptStatusFromProto(status);
  return name === "unspecified" ? "unknown" : name;
}

const names = (channels: Channel[]): ChannelName[] => [
  ...new Set(channels.map(channelFromProto).filter((c): c is ChannelName => c !== undefined)),
];

export function verificationSnapshot(v: Verification): VerificationSnapshot {
  return {
    id: v.verificationId,
    district: v.district,
    locale: v.locale,
    channels: names(v.plannedSteps.map((s) => s.channel)),
    attempts: v.attempts.flatMap((a) => {
      const channel = channelFromProto(a.channel);
      if (!channel) return [];
      return [
        {
          attempt: a.attempt,
          channel,
          status: attemptStatus(a.status),
          requestedAt: a.requestedAt?.getTime() ?? 0,
        },
      ];
    }),
    expiresAt: v.expiresAt?.getTime() ?? 0,
    sendsRemaining: v.sendsRemaining,
    resendAvailableAt: v.resendAvailableAt?.getTime() ?? 0,
  };
}

const HEALTH: Partial<Record<HealthState, ChannelHealthSnapshot["state"]>> = {
  [HealthState.HEALTH_STATE_HEALTHY]: "healthy",
  [HealthState.HEALTH_STATE_DEGRADED]: "degraded",
  [HealthState.HEALTH_STATE_DOWN]: "down",
};

/** Channel-wide series only (route ""): per-route series are routing's business. */
export function healthSnapshots(channels: readonly ChannelHealth[]): ChannelHealthSnapshot[] {
  return channels.flatMap((h) => {
    const channel = channelFromProto(h.channel);
    if (!channel || h.route !== "") return [];
    return [{ channel, state: HEALTH[h.state] ?? "unknown", deliveryRate: h.deliveryRate }];
  });
}

export function incidentSnapshot(incident: Incident): IncidentSnapshot {
  return {
    district: incident.district,
    channels: names(incident.channels),
    notices: { ...incident.notices },
  };
}
