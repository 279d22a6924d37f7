/**
 * The WhatsApp connector service: `npx tsx services/whatsapp/src/main.ts`. Settings from the
 * environment: channel-config.ts (WHATSAPP_*) and the platform settings (Kafka, Redis, secrets,
 * policies, logs; see services/shared/src/runtime/platform.ts). Stops cleanly on SIGINT / SIGTERM.
 */
import { platformFromEnv } from "../../shared/src/runtime/platform";
import { runMain, runUntilSignalled } from "../../shared/src/runtime/run-main";
import { whatsAppConfigFromEnv } from "./channel-config";
import { createWhatsAppChannel } from "./channel";

runMain(async () => {
  const config = whatsAppConfigFromEnv(process.env);
  const platform = await platformFromEnv({ service: "whatsapp-connector" });
  const channel = createWhatsAppChannel({ ...platform, clock: platform.now, config });
  await runUntilSignalled(channel, () => platform.close(), platform.logger);
});
