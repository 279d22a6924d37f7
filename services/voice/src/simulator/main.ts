/**
 * Runs the Twilio-compatible voice simulator on its own:
 *   npx tsx services/voice/src/simulator/main.ts [--port 8790] [--host 127.0.0.1]
 *     [--account-sid AC...] [--auth-token ...] [--scenario scenario.json]
 * Environment: VOICE_SIM_PORT, VOICE_SIM_HOST, VOICE_SIM_ACCOUNT_SID, VOICE_SIM_AUTH_TOKEN,
 * VOICE_SIM_SCENARIO (arguments win). Point the adapter's baseUrl at http://host:port.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startTwilioSimulator } from "./twilio-simulator";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "account-sid": { type: "string" },
      "auth-token": { type: "string" },
      scenario: { type: "string" },
    },
  });
  const env = process.env;
  const scenarioPath = values.scenario ?? env.VOICE_SIM_SCENARIO;
  const simulator = await startTwilioSimulator({
    port: Number(values.port ?? env.VOICE_SIM_PORT ?? 8790),
    host: values.host ?? env.VOICE_SIM_HOST ?? "127.0.0.1",
    accountSid: values["account-sid"] ?? env.VOICE_SIM_ACCOUNT_SID ?? "ACdev0000000000000000000000000000",
    authToken: values["auth-token"] ?? env.VOICE_SIM_AUTH_TOKEN ?? "dev-auth-token",
    scenario: scenarioPath === undefined ? {} : JSON.parse(readFileSync(scenarioPath, "utf8")),
  });
  process.stdout.write(`Twilio-compatible voice simulator on ${simulator.url}\n`);
  const shutdown = (): void => {
    void simulator.close().then(() => process.exit(0));
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `voice simulator failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
