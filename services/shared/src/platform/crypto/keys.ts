/**
 * Secrets for codes and personal data, from configuration:
 *   OTP_ENCRYPTION_KEYS   "k2:<32 bytes base64 or hex>,k1:<...>" (all keys that may still open data)
 *   OTP_ACTIVE_KEY_ID     the key new values are sealed with (default: the first listed)
 *   OTP_CODE_HASH_KEYS    "h2:<32 bytes base64 or hex>,h1:<...>" (all keys a stored code hash may
 *                         have been made with; new hashes and lookups use the active one)
 *   OTP_CODE_HASH_ACTIVE_KEY_ID  the code-hash key new hashes are made with (default: the first
 *                         listed, or the legacy secret below while it is set)
 *   OTP_CODE_HASH_SECRET  the legacy unnamed code-hash key (hashes without a key id), still read
 * The all-in-one mode on embedded defaults may generate throwaway keys (nothing outlives the
 * process there); with real Kafka and Redis the keys must be configured, or data sealed by one
 * run could not be opened by the next.
 */
import { randomBytes } from "node:crypto";
import { OtpError } from "@domain/errors";
import { createCodeHasher, type CodeHasher, type CodeHashKey } from "./code-hash";
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
  OTP_CODE_HASH_KEYS?: string;
  OTP_CODE_HASH_ACTIVE_KEY_ID?: string;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/** `<id>:<secret>,…` into a map; each malformed entry is a problem naming the variable. */
function keyList(variable: string, raw: string | undefined, problems: string[]): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  for (const entry of (raw ?? "").split(",").filter(Boolean)) {
    const [id, value] = entry.split(":", 2).map((s) => s.trim());
    const key = value ? decodeKey(value) : undefined;
    if (!id || !KEY_ID.test(id) || !key) {
      problems.push(`${variable}: entry "${id ?? ""}:<secret>" must be <id>:<32 bytes base64 or hex>`);
      continue;
    }
    if (keys.has(id)) problems.push(`${variable}: key id ${id} is listed twice`);
    keys.set(id, key);
  }
  return keys;
}

function codeHashKeys(
  env: SecretEnv,
  problems: string[],
): { activeKeyId: string; keys: CodeHashKey[] } | undefined {
  const named = keyList("OTP_CODE_HASH_KEYS", env.OTP_CODE_HASH_KEYS, problems);
  const legacy = env.OTP_CODE_HASH_SECRET ? decodeKey(env.OTP_CODE_HASH_SECRET) : undefined;
  if (env.OTP_CODE_HASH_SECRET && !legacy)
    problems.push("OTP_CODE_HASH_SECRET must be 32 bytes base64 or hex");
  const keys: CodeHashKey[] = [...named].map(([id, secret]) => ({ id, secret }));
  if (legacy) keys.push({ id: "", secret: legacy });
  // While the legacy secret is set it stays active unless a named key is asked for, so a new
  // key can reach every service before any of them hashes with it.
  const activeKeyId = env.OTP_CODE_HASH_ACTIVE_KEY_ID ?? (legacy ? "" : ([...named.keys()][0] ?? ""));
  if (env.OTP_CODE_HASH_ACTIVE_KEY_ID !== undefined && !named.has(env.OTP_CODE_HASH_ACTIVE_KEY_ID))
    problems.push(
      `OTP_CODE_HASH_ACTIVE_KEY_ID ${env.OTP_CODE_HASH_ACTIVE_KEY_ID} is not in OTP_CODE_HASH_KEYS`,
    );
  return keys.length > 0 ? { activeKeyId, keys } : undefined;
}

export function secretsFromEnv(env: SecretEnv, options: { allowEphemeral: boolean }): SecretMaterial {
  const problems: string[] = [];
  const hashConfigured = Boolean(env.OTP_CODE_HASH_SECRET || env.OTP_CODE_HASH_KEYS);
  if (options.allowEphemeral && !env.OTP_ENCRYPTION_KEYS && !hashConfigured) return generatedSecrets();
  if (!env.OTP_ENCRYPTION_KEYS) problems.push("OTP_ENCRYPTION_KEYS is required");
  if (!hashConfigured) problems.push("OTP_CODE_HASH_KEYS (or the legacy OTP_CODE_HASH_SECRET) is required");
  const keys = keyList("OTP_ENCRYPTION_KEYS", env.OTP_ENCRYPTION_KEYS, problems);
  const activeKeyId = env.OTP_ACTIVE_KEY_ID ?? [...keys.keys()][0] ?? "";
  if (keys.size > 0 && !keys.has(activeKeyId))
    problems.push(`OTP_ACTIVE_KEY_ID ${activeKeyId} is not in OTP_ENCRYPTION_KEYS`);
  const hashKeys = codeHashKeys(env, problems);
  if (problems.length > 0 || !hashKeys) {
    throw new OtpError("CONFIG_INVALID", `invalid configuration:\n  - ${problems.join("\n  - ")}`);
  }
  return {
    sealer: createSealer({ activeKeyId, keys }),
    hasher: createCodeHasher(hashKeys),
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
