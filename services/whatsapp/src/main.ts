/**
 * The WhatsApp connector service: `npx tsx services/whatsapp/src/main.ts`. Settings from the
 * environment: channel-config.ts (WHATSAPP_*) and shared/src/http/service-runtime.ts (Kafka,
 * Redis, secrets, policies, logs). Stops cleanly on SIGINT / SIGTERM.
 */
import { isOtpError } from "../../shared/src/errors";
import { openServiceRuntime, runUntilSignalled } from "../../shared/src/http/service-runtime";
import { whatsAppConfigFromEnv } from "./channel-config";
import { createWhatsAppChannel } from "./channel";

function main(): void {
  let config;
  let runtime;
  try {
    config = whatsAppConfigFromEnv(process.env);
    runtime = openServiceRuntime("whatsapp-connector", process.env);
  } catch (err) {
    process.stderr.write(`${isOtpError(err) ? err.message : String(err)}\n`);
    process.exit(2);
  }
  const channel = createWhatsAppChannel({ ...runtime, config });
  void runUntilSignalled(channel, () => runtime.close(), runtime.logger);
}

main();
