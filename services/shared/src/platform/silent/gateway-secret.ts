/**
 * Operator client secrets in the policy file are sealed with the platform's encryption keys
 * (OTP_ENCRYPTION_KEYS), bound to the gateway's name: a secret copied to another gateway's entry
 * does not open. Format: `sealed:<keyId>:<iv>.<ciphertext>.<tag>` (base64url).
 */
import type { Sealer } from "../crypto/sealer";
import { OtpError } from "@domain/errors";

const associated = (gateway: string): string => `silent-gateway:${gateway}:client_secret`;

export function sealGatewaySecret(sealer: Sealer, gateway: string, secret: string): string {
  const v = sealer.seal(secret, associated(gateway));
  const b = (x: Uint8Array) => Buffer.from(x).toString("base64url");
  return `sealed:${v.keyId}:${b(v.iv)}.${b(v.ciphertext)}.${b(v.tag)}`;
}

export function openGatewaySecret(sealer: Sealer, gateway: string, sealed: string): string {
  const match = /^sealed:([^:]+):([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(sealed);
  if (!match) throw new OtpError("CONFIG_INVALID", `silent gateway ${gateway}: client secret is not sealed`);
  const [, keyId = "", iv = "", ciphertext = "", tag = ""] = match;
  const buf = (s: string) => Buffer.from(s, "base64url");
  return sealer.open({ keyId, iv: buf(iv), ciphertext: buf(ciphertext), tag: buf(tag) }, associated(gateway));
}
