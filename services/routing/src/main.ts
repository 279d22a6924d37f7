/**
 * Routing service: `npx tsx services/routing/src/main.ts`. Configuration: see README.md.
 * On Kafka + Redis (KAFKA_BROKERS, REDIS_URL) replicas share timers and health; without them it
 * runs on the in-process bus and store.
 */
// First: tracing patches grpc-js, http and ioredis before anything loads them.
import { telemetry } from "@platform/telemetry/instrumentation";
import { startServiceMetrics } from "@platform/telemetry/service-metrics";
import { platformFromEnv } from "@platform/runtime/platform";
import { EVENT_ROLES } from "@domain/events/ownership";
import { checkGrpcConfig, grpcServerFromEnv } from "@platform/runtime/grpc-from-env";
import { runMain, runUntilSignalled } from "@platform/runtime/run-main";
import { routingConfigFromEnv } from "./config";
import { loadRoutesTable } from "./routes-config";
import { createRoutingService } from "./routing-service";

runMain(async () => {
  const platform = await platformFromEnv({
    service: "routing",
    events: EVENT_ROLES.routing,
    alsoCheck: [() => routingConfigFromEnv(), () => checkGrpcConfig(process.env)],
  });
  const cfg = routingConfigFromEnv();
  const { server } = grpcServerFromEnv(process.env, platform.logger);
  const groupId = cfg.groupId;
  const observed = await startServiceMetrics({
    service: "routing",
    env: process.env,
    logger: platform.logger,
    kafkaRequests: platform.kafkaRequests,
    eventRejections: platform.eventRejections,
    consumerGroups: [{ groupId, topics: [platform.topics.verifications] }],
  });
  const routing = createRoutingService({
    bus: platform.bus,
    store: platform.store,
    clock: platform.now,
    policies: platform.policies,
    routes: cfg.routesFile ? loadRoutesTable(cfg.routesFile) : undefined,
    logger: platform.logger,
    topics: platform.topics,
    groupId: cfg.groupId,
    settings: cfg.settings,
    metrics: observed.metrics,
    sealer: platform.secrets.sealer,
  });
  routing.register(server);
  const service = {
    async start() {
      await routing.start();
      await server.start();
    },
    async stop() {
      await server.shutdown(5_000);
      await routing.stop();
    },
  };
  const cleanup = async () => {
    await platform.close();
    await observed.close();
    await telemetry.shutdown();
  };
  await runUntilSignalled(service, cleanup, platform.logger);
});
