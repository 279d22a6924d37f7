/**
 * Runs the SMSC simulator on its own:
 *   npx tsx gateway-smpp/src/simulator/main.ts [--smpp-port 2775] [--http-port 8775]
 *     [--host 127.0.0.1] [--scenario scenario.json] [--system-id otp-router] [--password ...]
 * Environment: SMSC_SIM_SMPP_PORT, SMSC_SIM_HTTP_PORT, SMSC_SIM_HOST, SMSC_SIM_SCENARIO,
 * SMSC_SIM_SYSTEM_ID, SMSC_SIM_PASSWORD (arguments win).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startControlApi } from "./control-api";
import { startSmscSimulator } from "./smsc-simulator";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "smpp-port": { type: "string" },
      "http-port": { type: "string" },
      host: { type: "string" },
      scenario: { type: "string" },
      "system-id": { type: "string" },
      password: { type: "string" },
    },
  });
  const env = process.env;
  const host = values.host ?? env.SMSC_SIM_HOST ?? "127.0.0.1";
  const scenarioPath = values.scenario ?? env.SMSC_SIM_SCENARIO;
  const scenario: unknown = scenarioPath === undefined ? {} : JSON.parse(readFileSync(scenarioPath, "utf8"));
  const simulator = await startSmscSimulator({
    port: Number(values["smpp-port"] ?? env.SMSC_SIM_SMPP_PORT ?? 2775),
    host,
    credentials: {
      [values["system-id"] ?? env.SMSC_SIM_SYSTEM_ID ?? "otp-router"]:
        values.password ?? env.SMSC_SIM_PASSWORD ?? "otp-sim",
    },
  });
  simulator.setScenario(scenario);
  const api = await startControlApi(
    simulator,
    Number(values["http-port"] ?? env.SMSC_SIM_HTTP_PORT ?? 8775),
    host,
  );
  process.stdout.write(
    `SMSC simulator: SMPP on ${host}:${simulator.port}, control API on http://${host}:${api.port}\n`,
  );

  const shutdown = (): void => {
    void Promise.all([api.close(), simulator.close()]).then(() => process.exit(0));
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `SMSC simulator failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
