/**
 * Secrets for codes and personal data, from configuration:
 *   OTP_ENCRYPTION_KEYS   "k2:<32 bytes base64 or hex>,k1:<...>" (all keys that may still open data)
 *   OTP_ACTIVE_KEY_ID     the key new values are sealed with (default: the first listed)
 *   OTP_CODE_HASH_SECRET  32 bytes base64 or hex, for keyed code hashes
 * The all-in-one mode on embedded defaults may generate throwaway keys (nothing outlives the
 * process there); with real Kafka and Redis the keys must be configured, or data sealed by one
 * run could not be opened by the next.
 */
import { randomBytes } from "node:crypto";
import { OtpError } from "../errors";
import { createCodeHasher, type CodeHasher } from "./code-hash";
import { createSealer, type Sealer } from "./sealer";

export interface SecretMaterial {
  sealer: Sealer;
  hasher: CodeHasher;
  activeKeyId: string;
  /** True when the keys were generated for this process only. */
  ephemeral: boolean;
}

function decodeKey(raw: string): Buffer | undefined {
  const buf = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, "hex") : Buffer.from(raw, "base64");
  return buf.length === 32 ? buf : undefined;
}

export interface SecretEnv {
  OTP_ENCRYPTION_KEYS?: string;
  OTP_ACTIVE_KEY_ID?: string;
  OTP_CODE_HASH_SECRET?: string;
}

export function secretsFromEnv(env: SecretEnv, options: { allowEphemeral: boolean }): SecretMaterial {
  const problems: string[] = [];
  if (!env.OTP_ENCRYPTION_KEYS || !env.OTP_CODE_HASH_SECRET) {
    if (options.allowEphemeral && !env.OTP_ENCRYPTION_KEYS && !env.OTP_CODE_HASH_SECRET) {
      return generatedSecrets();
    }
    if (!env.OTP_ENCRYPTION_KEYS) problems.push("OTP_ENCRYPTION_KEYS is required");
    if (!env.OTP_CODE_HASH_SECRET) problems.push("OTP_CODE_HASH_SECRET is required");
  }
  const keys = new Map<string, Buffer>();
  for (const entry of (env.OTP_ENCRYPTION_KEYS ?? "").split(",").filter(Boolean)) {
    const [id, value] = entry.split(":", 2).map((s) => s.trim());
    const key = value ? decodeKey(value) : undefined;
    if (!id || !/^[A-Za-z0-9_-]{1,32}$/.test(id) || !key) {
      problems.push(
        `OTP_ENCRYPTION_KEYS: entry "${id ?? ""}:<secret>" must be <id>:<32 bytes base64 or hex>`,
      );
      continue;
    }
    keys.set(id, key);
  }
  const activeKeyId = env.OTP_ACTIVE_KEY_ID ?? [...keys.keys()][0] ?? "";
  if (keys.size > 0 && !keys.has(activeKeyId))
    problems.push(`OTP_ACTIVE_KEY_ID ${activeKeyId} is not in OTP_ENCRYPTION_KEYS`);
  const hashSecret = env.OTP_CODE_HASH_SECRET ? decodeKey(env.OTP_CODE_HASH_SECRET) : undefined;
  if (env.OTP_CODE_HASH_SECRET && !hashSecret)
    problems.push("OTP_CODE_HASH_SECRET must be 32 bytes base64 or hex");
  if (problems.length > 0 || !hashSecret) {
    throw new OtpError("CONFIG_INVALID", `invalid configuration:\n  - ${problems.join("\n  - ")}`);
  }
  return {
    sealer: createSealer({ activeKeyId, keys }),
    hasher: createCodeHasher(hashSecret),
    activeKeyId,
    ephemeral: false,
  };
}

export function generatedSecrets(): SecretMaterial {
  const activeKeyId = "ephemeral";
  return {
    sealer: createSealer({ activeKeyId, keys: new Map([[activeKeyId, randomBytes(32)]]) }),
    hasher: createCodeHasher(randomBytes(32)),
    activeKeyId,
    ephemeral: true,
  };
}
