/**
 * The verification's state in plain words: how and when the code was last sent, whether it
 * arrived, and how that channel is doing in the sender's district right now.
 */
import { channelState } from "./channel-choice";
import type { Phrases } from "./replies";
import type { DistrictStatus, VerificationSnapshot } from "./types";

export function explainState(
  phrases: Phrases,
  verification: VerificationSnapshot,
  status: DistrictStatus | undefined,
  now: number,
): string[] {
  const latest = verification.attempts.at(-1);
  if (!latest) return [phrases.statePreparing];
  const channel = phrases.channel[latest.channel];
  const ago = phrases.duration(Math.max(0, now - latest.requestedAt));
  const said: string[] = [];
  switch (latest.status) {
    case "delivered":
    case "read":
      said.push(phrases.stateDelivered(channel, ago));
      break;
    case "failed":
    case "expired":
    case "cancelled":
      said.push(phrases.stateFailed(channel, ago));
      break;
    case "queued":
    case "accepted":
    case "sent":
    case "unknown":
      said.push(phrases.stateSent(channel, ago));
      break;
  }
  const health = channelState(status, latest.channel);
  if (health === "degraded") said.push(phrases.healthSlow(channel));
  if (health === "down") said.push(phrases.healthDown(channel));
  return said;
}
