/**
 * The voice connector service: `npx tsx services/voice/src/main.ts`. Settings from the
 * environment: channel-config.ts (VOICE_*) and the platform settings (Kafka, Redis, secrets,
 * policies, logs; see services/shared/src/platform/runtime/platform.ts). Stops cleanly on SIGINT / SIGTERM.
 * Metrics and traces: services/shared/src/platform/telemetry/README.md.
 */
// First: tracing patches grpc-js, http and ioredis before anything loads them.
import { telemetry } from "@platform/telemetry/instrumentation";
import { platformFromEnv } from "@platform/runtime/platform";
import { EVENT_ROLES } from "@domain/events/ownership";
import { runMain, runUntilSignalled } from "@platform/runtime/run-main";
import { startServiceMetrics } from "@platform/telemetry/service-metrics";
import { voiceConfigFromEnv } from "./channel-config";
import { createVoiceChannel } from "./channel";

runMain(async () => {
  const platform = await platformFromEnv({
    service: "voice-connector",
    events: EVENT_ROLES["voice-connector"],
    alsoCheck: [() => voiceConfigFromEnv(process.env)],
  });
  const config = voiceConfigFromEnv(process.env);
  const observed = await startServiceMetrics({
    service: "voice",
    env: process.env,
    logger: platform.logger,
    kafkaRequests: platform.kafkaRequests,
    eventRejections: platform.eventRejections,
    consumerGroups: [{ groupId: config.groupId, topics: [platform.topics.verifications] }],
  });
  const channel = createVoiceChannel({ ...platform, clock: platform.now, config, metrics: observed.metrics });
  const cleanup = async () => {
    await platform.close();
    await observed.close();
    await telemetry.shutdown();
  };
  await runUntilSignalled(channel, cleanup, platform.logger);
});
