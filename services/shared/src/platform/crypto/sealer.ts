/**
 * AES-256-GCM for personal data and codes on Kafka. Each value carries its key id so keys can
 * rotate: new values use the active key, old values open with any key still configured.
 * Associated data binds a value to its verification and field, so a ciphertext copied into
 * another event does not open.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from "node:crypto";
import type { EncryptedValue } from "@proto/otp/events/v1/events";
import { OtpError } from "@domain/errors";

export interface SealerKeys {
  activeKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
}

export interface Sealer {
  seal(plaintext: string, associatedData: string): EncryptedValue;
  open(value: EncryptedValue, associatedData: string): string;
}

export function createSealer({ activeKeyId, keys }: SealerKeys): Sealer {
  for (const [id, key] of keys) {
    if (key.length !== 32) throw new RangeError(`encryption key ${id} must be 32 bytes`);
  }
  // Key objects made once: given a raw Buffer, Node converts it on every cipher (about three
  // quarters of a seal's or an open's CPU).
  const keyObjects = new Map<string, KeyObject>([...keys].map(([id, key]) => [id, createSecretKey(key)]));
  const active = keyObjects.get(activeKeyId);
  if (!active) throw new RangeError(`active encryption key ${activeKeyId} is not configured`);

  return {
    seal(plaintext, associatedData) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", active, iv);
      cipher.setAAD(Buffer.from(associatedData, "utf8"));
      const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return { keyId: activeKeyId, iv, ciphertext, tag: cipher.getAuthTag() };
    },
    open(value, associatedData) {
      const key = keyObjects.get(value.keyId);
      if (!key) throw new OtpError("OTP_INTERNAL", `no encryption key with id ${value.keyId}`);
      // Node accepts shorter GCM tags (down to 4 bytes) and any nonce length: a forged value with
      // a truncated tag would need far fewer tries to pass. Only what seal() makes opens.
      if (value.iv.length !== IV_BYTES || value.tag.length !== TAG_BYTES) {
        throw new OtpError("OTP_INTERNAL", "encrypted value failed authentication");
      }
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, value.iv);
        decipher.setAAD(Buffer.from(associatedData, "utf8"));
        decipher.setAuthTag(value.tag);
        return Buffer.concat([decipher.update(value.ciphertext), decipher.final()]).toString("utf8");
      } catch (cause) {
        throw new OtpError("OTP_INTERNAL", "encrypted value failed authentication", { cause });
      }
    },
  };
}

/** AES-GCM's standard nonce and full tag (NIST SP 800-38D). */
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Associated data for a field of a verification. */
export const sealedField = (verificationId: string, field: "phone" | "code" | "transaction"): string =>
  `${verificationId}:${field}`;
