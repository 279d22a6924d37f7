/**
 * The channel to recommend to users of a district ("SMS is more stable in your area right
 * now"): the healthiest judged channel, never one under a declared incident. No recommendation
 * when nothing is known yet.
 */
import type { ChannelName, HealthFigures } from "./types";

const RANK = { healthy: 0, degraded: 1, unknown: 2, down: 3 } as const;

export function recommendChannel(
  channels: readonly HealthFigures[],
  underIncident: readonly ChannelName[],
): ChannelName | undefined {
  const candidates = channels.filter(
    (f) => !underIncident.includes(f.channel) && (f.state === "healthy" || f.state === "degraded"),
  );
  const ranked = [...candidates].sort(
    (a, b) => RANK[a.state] - RANK[b.state] || b.deliveryRate - a.deliveryRate || a.p95Ms - b.p95Ms,
  );
  return ranked[0]?.channel;
}
