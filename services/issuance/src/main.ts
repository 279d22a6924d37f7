/**
 * Issuance service: `npx tsx services/issuance/src/main.ts`. Configuration: see README.md;
 * metrics and traces: services/shared/src/platform/telemetry/README.md.
 */
// First: tracing patches grpc-js, http and ioredis before anything loads them.
import { telemetry } from "@platform/telemetry/instrumentation";
import { int, readConfig } from "@platform/config";
import { cachedIncidentCheck } from "@platform/incidents";
import { platformFromEnv } from "@platform/runtime/platform";
import { admissionFromEnv, checkAdmissionConfig } from "@platform/runtime/admission-from-env";
import { EVENT_ROLES } from "@domain/events/ownership";
import { checkGrpcConfig, grpcServerFromEnv } from "@platform/runtime/grpc-from-env";
import { runMain, runUntilSignalled } from "@platform/runtime/run-main";
import { startServiceMetrics } from "@platform/telemetry/service-metrics";
import { createIssuanceApp } from "./app";
import { createSupportDesk } from "./support-desk";
import { registerSupportService } from "./support-handlers";

runMain(async () => {
  const spec = {
    ISSUANCE_MAX_IN_FLIGHT: int(2000, { min: 1 }),
    OTP_RETENTION_HOURS: int(24, { min: 1, max: 24 * 90 }),
    ISSUANCE_MAX_WATCHES_PER_TENANT: int(1000, { min: 1 }),
  };
  const platform = await platformFromEnv({
    service: "issuance",
    events: EVENT_ROLES.issuance,
    alsoCheck: [
      () => readConfig(spec),
      () => checkGrpcConfig(process.env),
      () => checkAdmissionConfig(process.env),
    ],
  });
  const cfg = readConfig(spec);
  const observed = await startServiceMetrics({
    service: "issuance",
    env: process.env,
    logger: platform.logger,
    kafkaRequests: platform.kafkaRequests,
    eventRejections: platform.eventRejections,
  });
  const admission = admissionFromEnv({
    env: process.env,
    platform,
    service: "issuance",
    maxInFlight: cfg.ISSUANCE_MAX_IN_FLIGHT,
    metrics: observed.metrics,
  });
  const { server } = grpcServerFromEnv(process.env, platform.logger, [], admission.gate);
  const app = createIssuanceApp(platform, {
    retentionMs: cfg.OTP_RETENTION_HOURS * 3_600_000,
    maxWatchesPerTenant: cfg.ISSUANCE_MAX_WATCHES_PER_TENANT,
    // Incidents declared through routing (or detected from health) are shared through the store.
    incidentActive: cachedIncidentCheck(platform.store, platform.now),
    metrics: observed.metrics,
  });
  app.register(server);
  // otp.v1.SupportService (service principals only): the WhatsApp support assistant's lookups.
  registerSupportService(server, createSupportDesk({ ...platform, issuance: app.issuance }), platform.now);
  const service = {
    async start() {
      await app.start();
      await server.start();
    },
    async stop() {
      await server.shutdown(5_000);
      await app.stop();
    },
  };
  const cleanup = async () => {
    await admission.close();
    await platform.close();
    await observed.close();
    await telemetry.shutdown();
  };
  await runUntilSignalled(service, cleanup, platform.logger);
});
