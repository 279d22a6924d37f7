/** What every language's replies provide. Replies never contain a code or ask for one. */
import type { ChannelName } from "../types";

export interface Phrases {
  channel: Record<ChannelName, string>;
  /** "40 s", "2 min" in the language. */
  duration: (ms: number) => string;
  help: string;
  noActive: string;
  otherNumber: string;
  codeWarning: string;
  safety: string;
  handoff: string;
  handoffPending: string;
  rateLimited: string;
  statePreparing: string;
  stateSent: (channel: string, ago: string) => string;
  stateDelivered: (channel: string, ago: string) => string;
  stateFailed: (channel: string, ago: string) => string;
  healthSlow: (channel: string) => string;
  healthDown: (channel: string) => string;
  offer: (channel: string) => string;
  offerLater: (channel: string, wait: string) => string;
  resendSent: (channel: string | undefined) => string;
  cooldown: (wait: string) => string;
  sendLimit: string;
  budgetExhausted: string;
  closed: string;
  channelNotOffered: (channel: string) => string;
  declined: string;
  noIncident: string;
  incident: (district: string, channels: string) => string;
  tryLater: string;
}

/** Seconds below two minutes, minutes above, rounded up: a wait is never shorter than said. */
export function durationIn(seconds: string, minutes: string): (ms: number) => string {
  return (ms) => {
    const s = Math.max(1, Math.ceil(ms / 1000));
    return s < 120 ? `${s} ${seconds}` : `${Math.ceil(s / 60)} ${minutes}`;
  };
}
