/**
 * Per-sender limits on the store, shared by every replica: messages per minute (GCRA), one
 * polite notice when a sender goes over and then silence until the minute is up, resend offers
 * per hour, and the message ids already handled (for a day: the window a reply is allowed in).
 */
import { rateLimit } from "@platform/store/scripts";
import type { Store } from "@platform/store/port";
import type { SenderLimits } from "../ports";

export interface SenderLimitSettings {
  messagesPerMinute: number;
  resendOffersPerHour: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const SEEN_MS = 24 * HOUR_MS;

export function createStoreLimits(store: Store, settings: SenderLimitSettings): SenderLimits {
  const offers = (senderKey: string, cost: number) =>
    store.run(rateLimit, {
      key: `assistant-offers|${senderKey}`,
      limit: settings.resendOffersPerHour,
      periodMs: HOUR_MS,
      burst: settings.resendOffersPerHour,
      cost,
    });
  const seenKey = (messageId: string) => store.key(`assistant:seen:${messageId.slice(0, 200)}`);
  return {
    handled: async (messageId) => (await store.get(seenKey(messageId))) !== null,
    markHandled: async (messageId) => void (await store.set(seenKey(messageId), "1", { ttlMs: SEEN_MS })),
    async admitMessage(senderKey) {
      const admitted = await store.run(rateLimit, {
        key: `assistant-messages|${senderKey}`,
        limit: settings.messagesPerMinute,
        periodMs: MINUTE_MS,
        burst: settings.messagesPerMinute,
      });
      if (admitted.allowed) return { allowed: true, noticeDue: false };
      const noticeDue = await store.set(store.key(`assistant:quiet:${senderKey}`), "1", {
        ttlMs: Math.max(MINUTE_MS, admitted.retryAfterMs),
        onlyIfAbsent: true,
      });
      return { allowed: false, noticeDue };
    },
    offersLeft: async (senderKey) => (await offers(senderKey, 0)).remaining > 0,
    spendOffer: async (senderKey) => void (await offers(senderKey, 1)),
  };
}
