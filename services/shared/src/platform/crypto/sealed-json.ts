/**
 * A sealed value as JSON, for keeping it in the store: the key id, and the iv, ciphertext and
 * tag in base64. Nothing in clear: the value opens only with the sealer and its associated data.
 */
import type { EncryptedValue } from "@proto/otp/events/v1/events";

export interface SealedJson {
  k: string;
  i: string;
  c: string;
  t: string;
}

export const sealedToJson = (v: EncryptedValue): SealedJson => ({
  k: v.keyId,
  i: Buffer.from(v.iv).toString("base64"),
  c: Buffer.from(v.ciphertext).toString("base64"),
  t: Buffer.from(v.tag).toString("base64"),
});

export const sealedFromJson = (j: SealedJson): EncryptedValue => ({
  keyId: j.k,
  iv: Buffer.from(j.i, "base64"),
  ciphertext: Buffer.from(j.c, "base64"),
  tag: Buffer.from(j.t, "base64"),
});
