/**
 * Codes are stored only as keyed hashes: HMAC-SHA256 under a server secret, bound to the
 * verification id and the transaction binding (PSD2 RTS Art. 5 dynamic linking), so a stolen
 * hash table cannot be brute-forced offline and a code cannot be replayed for another
 * verification or another amount or payee.
 *
 * Comparing two such MACs with a non-constant-time equality leaks nothing useful: the attacker
 * cannot compute the expected MAC without the secret. Still, compareCodeHashes is constant time.
 */
import { createHash, createHmac, createSecretKey, timingSafeEqual } from "node:crypto";

export interface TransactionBindingInput {
  amountMinor: number;
  currency: string;
  payee: string;
}

/** A canonical, unambiguous digest of a transaction binding ("" when there is none). */
export function bindingDigest(binding: TransactionBindingInput | undefined): string {
  if (!binding) return "";
  const canonical = [
    String(binding.amountMinor),
    binding.currency.toUpperCase(),
    binding.payee.normalize("NFC"),
  ]
    .map((part) => `${part.length}:${part}`)
    .join("|");
  return createHash("sha256").update(canonical, "utf8").digest("base64url");
}

export interface CodeHasher {
  /**
   * Keyed hash of a code for one verification and binding digest, under the active key:
   * `<key id>.<MAC>` (the MAC alone under the legacy unnamed secret).
   */
  hash(verificationId: string, code: string, binding: string): string;
  /**
   * The hash of a candidate code under every configured key, so a check matches a stored hash
   * whichever key made it (the key id in front keeps two keys' hashes apart).
   */
  candidates(verificationId: string, code: string, binding: string): string[];
  /**
   * Keyed hash for lookups by personal data (phone + purpose → active verification), so the
   * store's keys never hold a phone number in clear. Always under the active key.
   */
  lookup(kind: string, value: string): string;
}

/** A code-hash key; the id "" is the legacy unnamed secret, whose hashes carry no key id. */
export interface CodeHashKey {
  id: string;
  secret: Buffer;
}

export function createCodeHasher(secret: Buffer | { activeKeyId: string; keys: CodeHashKey[] }): CodeHasher {
  const config = Buffer.isBuffer(secret) ? { activeKeyId: "", keys: [{ id: "", secret }] } : secret;
  // Made once: given a raw Buffer, Node converts it on every HMAC (most of a hash's CPU).
  const keys = config.keys.map(({ id, secret: raw }) => {
    if (raw.length < 32) throw new RangeError("code hash secret must be at least 32 bytes");
    return { id, key: createSecretKey(raw) };
  });
  const active = keys.find((k) => k.id === config.activeKeyId);
  if (!active) throw new RangeError(`code hash key ${config.activeKeyId} is not configured`);
  const codeHash = (k: (typeof keys)[number], verificationId: string, code: string, binding: string) => {
    const mac = createHmac("sha256", k.key)
      .update(`otp-code/v1\u0000${verificationId}\u0000${binding}\u0000${code}`, "utf8")
      .digest("base64url");
    return k.id === "" ? mac : `${k.id}.${mac}`;
  };
  return {
    hash: (verificationId, code, binding) => codeHash(active, verificationId, code, binding),
    candidates: (verificationId, code, binding) =>
      keys.map((k) => codeHash(k, verificationId, code, binding)),
    lookup(kind, value) {
      return createHmac("sha256", active.key)
        .update(`otp-lookup/v1\u0000${kind}\u0000${value}`, "utf8")
        .digest("base64url");
    },
  };
}

export function compareCodeHashes(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}
