/**
 * Reads the gateway configuration: the JSON file named by SMPP_CONFIG, or (all-in-one, dev)
 * the simulator defaults from SMSC_SIM_HOST / SMSC_SIM_SMPP_PORT / SMSC_SIM_SYSTEM_ID /
 * SMSC_SIM_PASSWORD. The only file of the config module doing I/O.
 */
import { readFileSync } from "node:fs";
import { OtpError } from "@domain/errors";
import { simulatorGatewayConfig } from "./default-config";
import type { GatewayConfig } from "./gateway-config";
import { gatewayConfigOrThrow } from "./parse-config";

export function loadGatewayConfig(env: Record<string, string | undefined>): GatewayConfig {
  const path = env.SMPP_CONFIG;
  if (path === undefined || path === "") {
    return simulatorGatewayConfig({
      host: env.SMSC_SIM_HOST ?? "127.0.0.1",
      port: Number(env.SMSC_SIM_SMPP_PORT ?? 2775),
      systemId: env.SMSC_SIM_SYSTEM_ID ?? "otp-router",
      password: env.SMSC_SIM_PASSWORD ?? "otp-sim",
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new OtpError(
      "CONFIG_INVALID",
      `SMPP_CONFIG ${path}: ${err instanceof Error ? err.message : "unreadable"}`,
    );
  }
  return gatewayConfigOrThrow(
    json,
    { env, readFile: (file) => readFileSync(file, "utf8") },
    `SMPP_CONFIG ${path}`,
  );
}
