/** otp.v1 shapes (from gRPC or in-process services) → the assistant's plain snapshots. */
import {
  Channel,
  DeliveryStatus,
  HealthState,
  type ChannelHealth,
  type Incident,
  type Verification,
} from "../../../../proto/gen/otp/v1/common";
import type {
  AttemptStatus,
  ChannelHealthSnapshot,
  ChannelName,
  IncidentSnapshot,
  VerificationSnapshot,
} from "../core/types";

export function channelName(channel: Channel): ChannelName | undefined {
  switch (channel) {
    case Channel.CHANNEL_WHATSAPP:
      return "whatsapp";
    case Channel.CHANNEL_SMS:
      return "sms";
    case Channel.CHANNEL_VOICE:
      return "voice";
    case Channel.CHANNEL_UNSPECIFIED:
    default:
      return undefined;
  }
}

export function channelEnum(channel: ChannelName): Channel {
  return { whatsapp: Channel.CHANNEL_WHATSAPP, sms: Channel.CHANNEL_SMS, voice: Channel.CHANNEL_VOICE }[
    channel
  ];
}

const ATTEMPT_STATUS: Partial<Record<DeliveryStatus, AttemptStatus>> = {
  [DeliveryStatus.DELIVERY_STATUS_QUEUED]: "queued",
  [DeliveryStatus.DELIVERY_STATUS_ACCEPTED]: "accepted",
  [DeliveryStatus.DELIVERY_STATUS_SENT]: "sent",
  [DeliveryStatus.DELIVERY_STATUS_DELIVERED]: "delivered",
  [DeliveryStatus.DELIVERY_STATUS_READ]: "read",
  [DeliveryStatus.DELIVERY_STATUS_FAILED]: "failed",
  [DeliveryStatus.DELIVERY_STATUS_EXPIRED]: "expired",
  [DeliveryStatus.DELIVERY_STATUS_CANCELLED]: "cancelled",
};

const names = (channels: Channel[]): ChannelName[] => [
  ...new Set(channels.map(channelName).filter((c): c is ChannelName => c !== undefined)),
];

export function verificationSnapshot(v: Verification): VerificationSnapshot {
  return {
    id: v.verificationId,
    district: v.district,
    locale: v.locale,
    channels: names(v.plannedSteps.map((s) => s.channel)),
    attempts: v.attempts.flatMap((a) => {
      const channel = channelName(a.channel);
      if (!channel) return [];
      return [
        {
          attempt: a.attempt,
          channel,
          status: ATTEMPT_STATUS[a.status] ?? "unknown",
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
    const channel = channelName(h.channel);
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
