/**
 * Webhook deliveries are taken once. A provider retries a delivery it thinks failed, and anyone
 * who recorded a correctly signed delivery can send it again: the signature proves origin, not
 * freshness. Each delivery has a key (the provider's message or call id and the status it
 * reports); the first delivery of a key claims it in the store and is reported, any repeat is
 * dropped. A report that fails gives the claim back, so the provider's retry is reported.
 */
import { taggedKey, type Store } from "../store/port";
import { setIfAbsentGet } from "../store/scripts";

export interface WebhookDedup {
  /** Runs `report` for the first delivery of `key` only; true when it ran. */
  once(key: string, report: () => Promise<void>): Promise<boolean>;
}

/** Longer than any provider retries a delivery (Meta: up to 7 days; Twilio: minutes). */
const WEBHOOK_DEDUP_TTL_MS = 8 * 24 * 3_600_000;

export function createWebhookDedup(store: Store, scope: string, ttlMs = WEBHOOK_DEDUP_TTL_MS): WebhookDedup {
  return {
    async once(key, report) {
      // Ids come from the provider: encoded, so no brace can move the key's hash tag.
      const name = `webhook|${scope}|${encodeURIComponent(key)}`;
      const claim = await store.run(setIfAbsentGet, { key: name, value: "1", ttlMs });
      if (!claim.created) return false;
      try {
        await report();
      } catch (err) {
        await store.del(store.key(taggedKey("once", name))).catch(() => undefined);
        throw err;
      }
      return true;
    },
  };
}
