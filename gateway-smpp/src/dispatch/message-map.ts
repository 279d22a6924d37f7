/**
 * Message id → the part it belongs to, in the store with a TTL, so that a receipt arriving on
 * another replica's bind of the same SMSC account (or after a restart) is still correlated.
 * Keys are per account (ids are unique per SMSC) and per normalised id key (message-id.ts):
 * the exact key is always written, numeric keys only if free, as the in-memory correlator does.
 * Lookups try the exact key first.
 */
import { taggedKey, type Store } from "../../../services/shared/src/store/port";
import { messageIdKeys } from "../message-id";
import type { SentPart } from "./attempt-ref";

export interface MessageMap {
  remember(parts: readonly SentPart[], ttlMs: number): Promise<void>;
  lookup(account: string, messageId: string): Promise<SentPart | undefined>;
}

export function createMessageMap(store: Store): MessageMap {
  // The id key is the hash tag: each id's keys stand alone, spread over the cluster.
  const keyOf = (account: string, idKey: string) =>
    store.key(taggedKey("sms-msg", `${account}|${idKey}`.replace(/[{}]/g, "_")));

  return {
    async remember(parts, ttlMs) {
      const ttl = Math.max(1, Math.round(ttlMs));
      await Promise.all(
        parts.flatMap((part) => {
          const value = JSON.stringify(part);
          return messageIdKeys(part.messageId).map((idKey, i) =>
            store.set(keyOf(part.account, idKey), value, { ttlMs: ttl, onlyIfAbsent: i > 0 }),
          );
        }),
      );
    },
    async lookup(account, messageId) {
      for (const idKey of messageIdKeys(messageId)) {
        const raw = await store.get(keyOf(account, idKey));
        if (raw !== null) return JSON.parse(raw) as SentPart;
      }
      return undefined;
    },
  };
}
