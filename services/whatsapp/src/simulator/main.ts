/**
 * Runs the WhatsApp Cloud API simulator on its own:
 *   npx tsx services/whatsapp/src/simulator/main.ts [--port 8780] [--host 127.0.0.1]
 *     [--webhook-url http://127.0.0.1:8080/whatsapp/webhook] [--app-secret ...]
 *     [--access-token ...] [--scenario scenario.json]
 * Environment: WA_SIM_PORT, WA_SIM_HOST, WA_SIM_WEBHOOK_URL, WA_SIM_APP_SECRET,
 * WA_SIM_ACCESS_TOKENS (comma-separated), WA_SIM_SCENARIO (arguments win).
 * Point the client's baseUrl at http://host:port (any version path works: /v21.0/...).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startCloudApiSimulator } from "./cloud-api-simulator";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "webhook-url": { type: "string" },
      "app-secret": { type: "string" },
      "access-token": { type: "string" },
      scenario: { type: "string" },
    },
  });
  const env = process.env;
  const scenarioPath = values.scenario ?? env.WA_SIM_SCENARIO;
  const tokens = values["access-token"] ?? env.WA_SIM_ACCESS_TOKENS ?? "dev-token";
  const simulator = await startCloudApiSimulator({
    port: Number(values.port ?? env.WA_SIM_PORT ?? 8780),
    host: values.host ?? env.WA_SIM_HOST ?? "127.0.0.1",
    webhookUrl: values["webhook-url"] ?? env.WA_SIM_WEBHOOK_URL,
    appSecret: values["app-secret"] ?? env.WA_SIM_APP_SECRET ?? "dev-app-secret",
    accessTokens: tokens.split(",").map((t) => t.trim()),
    scenario: scenarioPath === undefined ? {} : JSON.parse(readFileSync(scenarioPath, "utf8")),
  });
  process.stdout.write(`WhatsApp Cloud API simulator on ${simulator.url}\n`);
  const shutdown = (): void => {
    void simulator.close().then(() => process.exit(0));
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `WhatsApp simulator failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
