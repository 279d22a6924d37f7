/**
 * The SMS gateway process (composition root):
 *   npx tsx gateway-smpp/src/main.ts
 * Environment:
 *   SMPP_CONFIG          JSON file of SMSC accounts, routes, texts (see README); without it,
 *                        one account on the SMSC simulator (SMSC_SIM_HOST, SMSC_SIM_SMPP_PORT,
 *                        SMSC_SIM_SYSTEM_ID, SMSC_SIM_PASSWORD)
 *   and the platform settings (KAFKA_BROKERS, REDIS_URL, keys, policies, logs): see
 *   services/shared/src/platform/runtime/platform.ts
 * SIGTERM / SIGINT drain: stop consuming, finish in-flight submits and reports, unbind, exit.
 * Metrics and traces: services/shared/src/platform/telemetry/README.md.
 */
// First: tracing patches grpc-js, http and ioredis before anything loads them.
import { telemetry } from "@platform/telemetry/instrumentation";
import { platformFromEnv } from "@platform/runtime/platform";
import { EVENT_ROLES } from "@domain/events/ownership";
import { runMain, runUntilSignalled } from "@platform/runtime/run-main";
import { startServiceMetrics } from "@platform/telemetry/service-metrics";
import { loadGatewayConfig } from "./config/load-config";
import { createSmsGateway } from "./gateway";

runMain(async () => {
  const platform = await platformFromEnv({
    service: "gateway-smpp",
    events: EVENT_ROLES["gateway-smpp"],
    alsoCheck: [() => loadGatewayConfig(process.env)],
  });
  const config = loadGatewayConfig(process.env);
  const observed = await startServiceMetrics({
    service: "gateway-smpp",
    env: process.env,
    logger: platform.logger,
    kafkaRequests: platform.kafkaRequests,
    eventRejections: platform.eventRejections,
    consumerGroups: [{ groupId: config.dispatch.consumerGroup, topics: [platform.topics.verifications] }],
  });
  const gateway = createSmsGateway({ ...platform, clock: platform.now, config, metrics: observed.metrics });
  const cleanup = async () => {
    await platform.close();
    await observed.close();
    await telemetry.shutdown();
  };
  await runUntilSignalled(
    { start: () => gateway.start(), stop: () => gateway.close() },
    cleanup,
    platform.logger,
  );
});
