/**
 * Conversations in the store, sealed (AES-256-GCM, bound to the sender's key) because they hold
 * what people wrote, even with codes and numbers removed; forgotten after a day of silence.
 */
import type { EncryptedValue } from "../../../../proto/gen/otp/events/v1/events";
import type { Sealer } from "../../../shared/src/crypto/sealer";
import type { Store } from "../../../shared/src/store/port";
import { newConversation, type Conversation } from "../core/conversation";
import type { ConversationStore } from "../ports";

const KEEP_MS = 24 * 3_600_000;

interface StoredValue {
  k: string;
  iv: string;
  c: string;
  t: string;
}

const encode = (v: EncryptedValue): string =>
  JSON.stringify({
    k: v.keyId,
    iv: Buffer.from(v.iv).toString("base64"),
    c: Buffer.from(v.ciphertext).toString("base64"),
    t: Buffer.from(v.tag).toString("base64"),
  } satisfies StoredValue);

function decode(raw: string): EncryptedValue {
  const v = JSON.parse(raw) as StoredValue;
  return {
    keyId: v.k,
    iv: Buffer.from(v.iv, "base64"),
    ciphertext: Buffer.from(v.c, "base64"),
    tag: Buffer.from(v.t, "base64"),
  };
}

export function createStoreConversations(store: Store, sealer: Sealer): ConversationStore {
  const keyOf = (senderKey: string) => store.key(`assistant:conversation:${senderKey}`);
  const aad = (senderKey: string) => `assistant:${senderKey}:conversation`;
  return {
    async load(senderKey) {
      const raw = await store.get(keyOf(senderKey));
      if (raw === null) return newConversation();
      return JSON.parse(sealer.open(decode(raw), aad(senderKey))) as Conversation;
    },
    async save(senderKey, conversation) {
      const sealed = sealer.seal(JSON.stringify(conversation), aad(senderKey));
      await store.set(keyOf(senderKey), encode(sealed), { ttlMs: KEEP_MS });
    },
  };
}
