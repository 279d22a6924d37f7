/**
 * MessageCorrelation on the Store (Redis, or the in-process store of the all-in-one mode), so
 * every replica sees the same claims and wamids: a status webhook may reach a replica that did
 * not send the message, and a redelivered dispatch may reach one that did not claim it.
 *   claim   `<prefix>wa-claim:<verification>:<attempt>` SET NX PX (atomic on its own)
 *   message `<prefix>wa-msg:<wamid>` → JSON ref, with a TTL past the code's expiry
 * Neither holds a code or a phone number.
 */
import { OtpError } from "@domain/errors";
import type { Store } from "@platform/store/port";
import type { MessageCorrelation, MessageRef } from "./message-correlation";

interface StoredRef {
  v: string;
  a: number;
  t: string;
  d: string;
  o: string;
  r: string;
}

export function createStoreCorrelation(store: Store): MessageCorrelation {
  const claimKey = (verificationId: string, attempt: number) =>
    store.key(`wa-claim:${verificationId}:${attempt}`);
  const messageKey = (messageId: string) => store.key(`wa-msg:${messageId}`);

  return {
    claimAttempt: (verificationId, attempt, ttlMs) =>
      store.set(claimKey(verificationId, attempt), "1", { onlyIfAbsent: true, ttlMs: wholeMs(ttlMs) }),

    async remember(messageId, ref, ttlMs) {
      const stored: StoredRef = {
        v: ref.verificationId,
        a: ref.attempt,
        t: ref.tenant,
        d: ref.district,
        o: ref.operator,
        r: ref.route,
      };
      await store.set(messageKey(messageId), JSON.stringify(stored), { ttlMs: wholeMs(ttlMs) });
    },

    async lookup(messageId) {
      const raw = await store.get(messageKey(messageId));
      return raw === null ? undefined : parseRef(raw);
    },
  };
}

/** The store wants a positive whole number of milliseconds. */
const wholeMs = (ms: number): number => Math.max(1, Math.ceil(ms));

function parseRef(raw: string): MessageRef {
  let value: Partial<StoredRef>;
  try {
    value = JSON.parse(raw) as Partial<StoredRef>;
  } catch (cause) {
    throw new OtpError("OTP_INTERNAL", "unreadable WhatsApp message reference", { cause });
  }
  const { v, a, t, d, o, r } = value;
  if (
    typeof v !== "string" ||
    typeof a !== "number" ||
    typeof t !== "string" ||
    typeof d !== "string" ||
    typeof o !== "string" ||
    typeof r !== "string"
  ) {
    throw new OtpError("OTP_INTERNAL", "unreadable WhatsApp message reference");
  }
  return { verificationId: v, attempt: a, tenant: t, district: d, operator: o, route: r };
}
