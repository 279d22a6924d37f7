/**
 * The verification state as JSON for the store: sealed values as base64, everything else as is.
 * Nothing here is a secret in clear: phone, code and binding stay sealed.
 */
import type { EncryptedValue } from "@proto/otp/events/v1/events";
import type { VerificationState } from "@domain/verification";
import { sealedFromJson, sealedToJson, type SealedJson } from "@platform/crypto/sealed-json";

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
