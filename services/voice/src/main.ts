/**
 * The voice connector service: `npx tsx services/voice/src/main.ts`. Settings from the
 * environment: channel-config.ts (VOICE_*) and shared/src/http/service-runtime.ts (Kafka, Redis,
 * secrets, policies, logs). Stops cleanly on SIGINT / SIGTERM.
 */
import { isOtpError } from "../../shared/src/errors";
import { openServiceRuntime, runUntilSignalled } from "../../shared/src/http/service-runtime";
import { voiceConfigFromEnv } from "./channel-config";
import { createVoiceChannel } from "./channel";

function main(): void {
  let config;
  let runtime;
  try {
    config = voiceConfigFromEnv(process.env);
    runtime = openServiceRuntime("voice-connector", process.env);
  } catch (err) {
    process.stderr.write(`${isOtpError(err) ? err.message : String(err)}\n`);
    process.exit(2);
  }
  const channel = createVoiceChannel({ ...runtime, config });
  void runUntilSignalled(channel, () => runtime.close(), runtime.logger);
}

main();
