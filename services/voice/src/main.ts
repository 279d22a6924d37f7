/**
 * The voice connector service: `npx tsx services/voice/src/main.ts`. Settings from the
 * environment: channel-config.ts (VOICE_*) and the platform settings (Kafka, Redis, secrets,
 * policies, logs; see services/shared/src/runtime/platform.ts). Stops cleanly on SIGINT / SIGTERM.
 */
import { platformFromEnv } from "../../shared/src/runtime/platform";
import { runMain, runUntilSignalled } from "../../shared/src/runtime/run-main";
import { voiceConfigFromEnv } from "./channel-config";
import { createVoiceChannel } from "./channel";

runMain(async () => {
  const config = voiceConfigFromEnv(process.env);
  const platform = await platformFromEnv({ service: "voice-connector" });
  const channel = createVoiceChannel({ ...platform, clock: platform.now, config });
  await runUntilSignalled(channel, () => platform.close(), platform.logger);
});
