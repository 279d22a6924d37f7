/**
 * Which channel to resend on: among the verification's own workflow channels, the healthiest
 * in the sender's district right now, never one under a declared incident there while another
 * is available, and not the one that is failing the user (the latest attempt's channel, when
 * it did not arrive). Same ranking as routing's recommendation: healthy, degraded, unknown, down.
 */
import type { ChannelName, DistrictStatus, HealthState, VerificationSnapshot } from "./types";

const RANK: Record<HealthState, number> = { healthy: 0, degraded: 1, unknown: 2, down: 3 };

function failingChannel(verification: VerificationSnapshot): ChannelName | undefined {
  const latest = verification.attempts.at(-1);
  if (!latest) return undefined;
  return latest.status === "delivered" || latest.status === "read" ? undefined : latest.channel;
}

export function channelState(status: DistrictStatus | undefined, channel: ChannelName): HealthState {
  if (status?.incidents.some((i) => i.channels.includes(channel))) return "down";
  return status?.channels.find((c) => c.channel === channel)?.state ?? "unknown";
}

export function healthiestChannel(
  verification: VerificationSnapshot,
  status: DistrictStatus | undefined,
): ChannelName | undefined {
  const failing = failingChannel(verification);
  const candidates = verification.channels.filter((c) => c !== failing);
  const pool = candidates.length > 0 ? candidates : verification.channels;
  const rate = (c: ChannelName) => status?.channels.find((h) => h.channel === c)?.deliveryRate ?? 0;
  return [...pool].sort(
    (a, b) =>
      RANK[channelState(status, a)] - RANK[channelState(status, b)] ||
      rate(b) - rate(a) ||
      verification.channels.indexOf(a) - verification.channels.indexOf(b),
  )[0];
}
