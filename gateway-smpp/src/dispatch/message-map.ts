/**
 * Message id → the part it belongs to, in the store with a TTL, so that a receipt arriving on
 * another replica's bind of the same SMSC account (or after a restart) is still correlated.
 * One key per part, per account (ids are unique per SMSC) and stored id key (message-id.ts);
 * a lookup tries the receipt's id as written, then read in the other base (hex ↔ decimal).
 * Writing costs one command per part; the extra reads fall on receipts from other replicas.
 */
import { taggedKey, type Store } from "@platform/store/port";
import { lookupIdKeys, storedIdKey } from "../message-id";
import type { SentPart } from "./attempt-ref";
import { decodeSentPart, encodeSentPart } from "./sent-part-record";

export interface MessageMap {
  remember(parts: readonly SentPart[], ttlMs: number): Promise<void>;
  lookup(account: string, messageId: string): Promise<SentPart | undefined>;
}

export function createMessageMap(store: Store): MessageMap {
  // The id key is the hash tag: each id's key stands alone, spread over the cluster.
  const keyOf = (account: string, idKey: string) =>
    store.key(taggedKey("sms-msg", `${account}|${idKey}`.replace(/[{}]/g, "_")));

  return {
    async remember(parts, ttlMs) {
      const ttl = Math.max(1, Math.round(ttlMs));
      await Promise.all(
        parts.map((part) =>
          store.set(keyOf(part.account, storedIdKey(part.messageId)), encodeSentPart(part), { ttlMs: ttl }),
        ),
      );
    },
    async lookup(account, messageId) {
      for (const idKey of lookupIdKeys(messageId)) {
        const raw = await store.get(keyOf(account, idKey));
        if (raw !== null) return decodeSentPart(raw);
      }
      return undefined;
    },
  };
}
