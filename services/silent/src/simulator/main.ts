/**
 * Runs the Open Gateway simulator on its own (Compose, demos):
 *   npx tsx services/silent/src/simulator/main.ts [--port 8795] [--host 127.0.0.1]
 *     [--client-id ...] [--client-secret ...] [--redirect-uri http://127.0.0.1:8083/silent/callback]
 *     [--scenario scenario.json]
 * Environment: OG_SIM_PORT, OG_SIM_HOST, OG_SIM_CLIENT_ID, OG_SIM_CLIENT_SECRET,
 * OG_SIM_REDIRECT_URIS (comma-separated), OG_SIM_SCENARIO (arguments win). One registered client:
 * the platform's gateway entry names its id, its sealed secret and one of these redirect URIs.
 * `PUT /scenario` changes the network (match, mismatch, data_off, slow, districts down).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startOpenGatewaySimulator } from "./open-gateway-simulator";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "client-id": { type: "string" },
      "client-secret": { type: "string" },
      "redirect-uri": { type: "string" },
      scenario: { type: "string" },
    },
  });
  const env = process.env;
  const redirectUris =
    values["redirect-uri"] ?? env.OG_SIM_REDIRECT_URIS ?? "http://127.0.0.1:8083/silent/callback";
  const simulator = await startOpenGatewaySimulator({
    port: Number(values.port ?? env.OG_SIM_PORT ?? 8795),
    host: values.host ?? env.OG_SIM_HOST ?? "127.0.0.1",
    clients: [
      {
        clientId: values["client-id"] ?? env.OG_SIM_CLIENT_ID ?? "otp-router-dev",
        clientSecret: values["client-secret"] ?? env.OG_SIM_CLIENT_SECRET ?? "dev-og-secret",
        redirectUris: redirectUris.split(",").map((u) => u.trim()),
      },
    ],
  });
  const scenarioPath = values.scenario ?? env.OG_SIM_SCENARIO;
  if (scenarioPath !== undefined) simulator.setScenario(JSON.parse(readFileSync(scenarioPath, "utf8")));
  process.stdout.write(`Open Gateway simulator on ${simulator.url}\n`);
  const shutdown = (): void => {
    void simulator.close().then(() => process.exit(0));
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `Open Gateway simulator failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
