/**
 * The silent connector's settings, and reading them from the environment:
 *   SILENT_CALLBACK_LISTEN    host:port of the operators' redirect URI (default 0.0.0.0:8083);
 *                             each gateway's `redirectUri` in the policy is this listener's
 *                             public URL + /silent/callback
 *   SILENT_MIN_EXCHANGE_MS    least time given to the operator's token and verify calls even when
 *                             the step's deadline is closer (default 1000)
 * The operators' endpoints and sealed client secrets are tenant configuration (the policy file's
 * `silent.gateways`), not settings of the process.
 */
import { address, type Env, int, readConfig } from "@platform/config";

export interface SilentConfig {
  /** host:port; absent: the caller mounts `webhookHandler` on its own server. */
  listen?: string;
  minExchangeMs: number;
}

const SPEC = {
  SILENT_CALLBACK_LISTEN: address("0.0.0.0:8083"),
  SILENT_MIN_EXCHANGE_MS: int(1_000, { min: 100, max: 30_000 }),
};

/** Throws CONFIG_INVALID listing every problem. */
export function silentConfigFromEnv(env: Env = process.env): SilentConfig {
  const c = readConfig(SPEC, env);
  return { listen: c.SILENT_CALLBACK_LISTEN, minExchangeMs: c.SILENT_MIN_EXCHANGE_MS };
}
