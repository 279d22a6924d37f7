/**
 * Conversations in the store, sealed (AES-256-GCM, bound to the sender's key) because they hold
 * what people wrote, even with codes and numbers removed; forgotten after a day of silence.
 */
import type { Sealer } from "@platform/crypto/sealer";
import { sealedFromJson, sealedToJson, type SealedJson } from "@platform/crypto/sealed-json";
import type { Store } from "@platform/store/port";
import { newConversation, type Conversation } from "../core/conversation";
import type { ConversationStore } from "../ports";

const KEEP_MS = 24 * 3_600_000;

export function createStoreConversations(store: Store, sealer: Sealer): ConversationStore {
  const keyOf = (senderKey: string) => store.key(`assistant:conversation:${senderKey}`);
  const aad = (senderKey: string) => `assistant:${senderKey}:conversation`;
  return {
    async load(senderKey) {
      const raw = await store.get(keyOf(senderKey));
      if (raw === null) return newConversation();
      const sealed = sealedFromJson(JSON.parse(raw) as SealedJson);
      return JSON.parse(sealer.open(sealed, aad(senderKey))) as Conversation;
    },
    async save(senderKey, conversation) {
      const sealed = sealer.seal(JSON.stringify(conversation), aad(senderKey));
      await store.set(keyOf(senderKey), JSON.stringify(sealedToJson(sealed)), { ttlMs: KEEP_MS });
    },
  };
}
