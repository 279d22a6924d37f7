/**
 * `otp seal gateway-secret <gateway>`: seals an operator's Open Gateway client secret for the
 * policy file's `silent.gateways.<gateway>.clientSecret`, with the platform's encryption keys
 * (OTP_ENCRYPTION_KEYS, OTP_ACTIVE_KEY_ID, OTP_CODE_HASH_SECRET: the settings the services run
 * with). The secret is read from standard input, never from the command line (shell history,
 * process lists); the output opens only under that gateway's name and with those keys.
 * Needs no running platform.
 */
import { secretsFromEnv, type SecretEnv } from "@platform/crypto/keys";
import { GATEWAY_NAME } from "@domain/policy/read-silent";
import { sealGatewaySecret } from "@platform/silent/gateway-secret";
import { positional, UsageError, type ParsedArgs } from "./args";

export interface SealResult {
  json: unknown;
  text: string;
  ok: boolean;
}

export const SEAL_USAGE =
  "seal gateway-secret <gateway>      seal an operator's client secret (read from stdin) for the policy file";

/** `readSecret` gives standard input's text; undefined when it is a terminal (nothing piped). */
export function sealCommand(
  args: ParsedArgs,
  env: SecretEnv,
  readSecret: () => string | undefined,
): SealResult {
  const what = positional(args, 1, "what to seal (gateway-secret)");
  if (what !== "gateway-secret") throw new UsageError(`cannot seal "${what}" (only gateway-secret)`);
  const gateway = positional(args, 2, "gateway name (as in silent.gateways)");
  if (!GATEWAY_NAME.pattern.test(gateway))
    throw new UsageError(`gateway "${gateway}": expected ${GATEWAY_NAME.expected}`);
  const input = readSecret();
  if (input === undefined)
    throw new UsageError(
      'pipe the secret in: printf %s "$SECRET" | npm run otp -- seal gateway-secret <gateway>',
    );
  // One trailing newline is the shell's (echo, a file), not the secret's.
  const secret = input.replace(/\r?\n$/, "");
  if (secret === "" || secret.length > 4096) throw new UsageError("the secret on stdin is empty or too long");
  if (!env.OTP_ENCRYPTION_KEYS)
    throw new UsageError("set OTP_ENCRYPTION_KEYS (and OTP_CODE_HASH_SECRET) as the services have them");
  const sealed = sealGatewaySecret(secretsFromEnv(env, { allowEphemeral: false }).sealer, gateway, secret);
  return { json: { gateway, clientSecret: sealed }, text: sealed, ok: true };
}
