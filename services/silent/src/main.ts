/**
 * The silent connector service: `npx tsx services/silent/src/main.ts`. Settings from the
 * environment: config.ts (SILENT_*) and the platform settings (Kafka, Redis, secrets, policies,
 * logs; see services/shared/src/platform/runtime/platform.ts). It consumes no events: the device drives it
 * (the operator's redirect lands on its callback), and it appends NetworkVerificationReported,
 * signed as the silent connector (ADR 0010). Stops cleanly on SIGINT / SIGTERM.
 * Metrics and traces: services/shared/src/platform/telemetry/README.md.
 */
// First: tracing patches grpc-js, http and ioredis before anything loads them.
import { telemetry } from "@platform/telemetry/instrumentation";
import { platformFromEnv } from "@platform/runtime/platform";
import { EVENT_ROLES } from "@domain/events/ownership";
import { runMain, runUntilSignalled } from "@platform/runtime/run-main";
import { startServiceMetrics } from "@platform/telemetry/service-metrics";
import { silentConfigFromEnv } from "./config";
import { createSilentConnector } from "./silent-connector";

runMain(async () => {
  const config = silentConfigFromEnv(process.env);
  const platform = await platformFromEnv({
    service: "silent-connector",
    events: EVENT_ROLES["silent-connector"],
  });
  const observed = await startServiceMetrics({
    service: "silent",
    env: process.env,
    logger: platform.logger,
    kafkaRequests: platform.kafkaRequests,
    eventRejections: platform.eventRejections,
  });
  const connector = createSilentConnector({
    ...platform,
    ...config,
    logger: platform.logger.child({ channel: "silent" }),
    metrics: observed.metrics,
  });
  const cleanup = async () => {
    await platform.close();
    await observed.close();
    await telemetry.shutdown();
  };
  await runUntilSignalled(connector, cleanup, platform.logger);
});
