/**
 * PendingReadings on the Store, so the key press of a "press 1 to hear your code" call may reach
 * any replica. The code is stored only sealed (AES-256-GCM, associated data
 * sealedField(verificationId, "code"), as on Kafka), under `<prefix>voice-reading:<call id>`,
 * for the code's remaining life, and taken (read and deleted atomically) on the key press.
 */
import type { EncryptedValue } from "@proto/otp/events/v1/events";
import { sealedField, type Sealer } from "@platform/crypto/sealer";
import { OtpError } from "@domain/errors";
import type { Store } from "@platform/store/port";
import type { PendingReading, PendingReadings } from "./call-registry";
import { takeValue } from "./call-scripts";

interface StoredReading {
  /** Verification id: the associated data the code opens with. */
  v: string;
  l: string;
  /** The sealed code: key id, iv, ciphertext and tag (base64). */
  k: string;
  i: string;
  c: string;
  t: string;
}

export function createStorePendingReadings(store: Store, sealer: Sealer): PendingReadings {
  const readingKey = (callId: string) => store.key(`voice-reading:${callId}`);

  return {
    async put(callId, reading, ttlMs) {
      const sealed = sealer.seal(reading.code, sealedField(reading.verificationId, "code"));
      const stored: StoredReading = {
        v: reading.verificationId,
        l: reading.locale,
        k: sealed.keyId,
        i: Buffer.from(sealed.iv).toString("base64"),
        c: Buffer.from(sealed.ciphertext).toString("base64"),
        t: Buffer.from(sealed.tag).toString("base64"),
      };
      await store.set(readingKey(callId), JSON.stringify(stored), { ttlMs: Math.max(1, Math.ceil(ttlMs)) });
    },

    async take(callId) {
      const raw = await store.run(takeValue, { key: readingKey(callId) });
      return raw === null ? undefined : openReading(raw, sealer);
    },

    async drop(callId) {
      await store.del(readingKey(callId));
    },
  };
}

function openReading(raw: string, sealer: Sealer): PendingReading {
  let stored: Partial<StoredReading>;
  try {
    stored = JSON.parse(raw) as Partial<StoredReading>;
  } catch (cause) {
    throw new OtpError("OTP_INTERNAL", "unreadable pending reading", { cause });
  }
  const { v, l, k, i, c, t } = stored;
  if ([v, l, k, i, c, t].some((field) => typeof field !== "string")) {
    throw new OtpError("OTP_INTERNAL", "unreadable pending reading");
  }
  const sealed: EncryptedValue = {
    keyId: k as string,
    iv: Buffer.from(i as string, "base64"),
    ciphertext: Buffer.from(c as string, "base64"),
    tag: Buffer.from(t as string, "base64"),
  };
  const verificationId = v as string;
  return {
    verificationId,
    locale: l as string,
    code: sealer.open(sealed, sealedField(verificationId, "code")),
  };
}
