/**
 * The configuration of the all-in-one mode: one account on the SMSC simulator (two
 * transceiver binds) behind one default route, built-in message templates.
 */
import type { GatewayConfig } from "./gateway-config";
import { parseGatewayConfig } from "./parse-config";

export interface SimulatorEndpoint {
  host: string;
  port: number;
  systemId: string;
  password: string;
}

const DEFAULT_ROUTE = "sms-default";

export function simulatorGatewayConfig(
  simulator: SimulatorEndpoint,
  overrides: Record<string, unknown> = {},
): GatewayConfig {
  const json = {
    accounts: {
      simulator: {
        host: simulator.host,
        port: simulator.port,
        systemId: simulator.systemId,
        password: simulator.password,
        bindMode: "transceiver",
        binds: 2,
        window: 10,
        tps: 100,
        responseTimeoutMs: 10_000,
        enquireLinkIntervalMs: 30_000,
      },
    },
    routes: { [DEFAULT_ROUTE]: ["simulator"] },
    defaultRoute: DEFAULT_ROUTE,
    ...overrides,
  };
  const result = parseGatewayConfig(json, { env: {}, readFile: () => "" });
  if (!result.ok) throw new Error(`default SMPP configuration is invalid: ${result.problems.join("; ")}`);
  return result.config;
}
