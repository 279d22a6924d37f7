/**
 * The verification state as JSON for the store: sealed values as base64, everything else as is.
 * Nothing here is a secret in clear: phone, code and binding stay sealed.
 */
import type { EncryptedValue } from "@proto/otp/events/v1/events";
import type { VerificationState } from "@domain/verification";

/** A sealed value as JSON: key id, and iv, ciphertext and tag in base64. */
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

function isSealedJson(v: unknown): v is SealedJson {
  return typeof v === "object" && v !== null && "k" in v && "i" in v && "c" in v && "t" in v;
}

function isEncryptedValue(v: unknown): v is EncryptedValue {
  return typeof v === "object" && v !== null && "keyId" in v && "ciphertext" in v && "tag" in v;
}

export function serializeState(state: VerificationState): string {
  return JSON.stringify(state, (_key, value: unknown) =>
    isEncryptedValue(value) ? sealedToJson(value) : value,
  );
}

export function parseState(json: string): VerificationState {
  return JSON.parse(json, (_key, value: unknown) =>
    isSealedJson(value) ? sealedFromJson(value) : value,
  ) as VerificationState;
}
