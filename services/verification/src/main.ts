/**
 * Verification service (CheckCode, overrides, and the projector that keeps the hot state in
 * step with the log): `npx tsx services/verification/src/main.ts`. Configuration: see README.md;
 * metrics and traces: services/shared/src/platform/telemetry/README.md.
 */
// First: tracing patches grpc-js, http and ioredis before anything loads them.
import { telemetry } from "@platform/telemetry/instrumentation";
import { int, readConfig } from "@platform/config";
import { platformFromEnv } from "@platform/runtime/platform";
import { admissionFromEnv, checkAdmissionConfig } from "@platform/runtime/admission-from-env";
import { EVENT_ROLES } from "@domain/events/ownership";
import { checkGrpcConfig, grpcServerFromEnv } from "@platform/runtime/grpc-from-env";
import { runMain, runUntilSignalled } from "@platform/runtime/run-main";
import { startServiceMetrics } from "@platform/telemetry/service-metrics";
import { createVerificationApp } from "./app";

runMain(async () => {
  const spec = { OTP_RETENTION_HOURS: int(24, { min: 1, max: 24 * 90 }) };
  const platform = await platformFromEnv({
    service: "verification",
    events: EVENT_ROLES.verification,
    alsoCheck: [
      () => readConfig(spec),
      () => checkGrpcConfig(process.env),
      () => checkAdmissionConfig(process.env),
    ],
  });
  const cfg = readConfig(spec);
  const observed = await startServiceMetrics({
    service: "verification",
    env: process.env,
    logger: platform.logger,
    kafkaRequests: platform.kafkaRequests,
    eventRejections: platform.eventRejections,
    consumerGroups: [{ groupId: "otp-projector", topics: [platform.topics.verifications] }],
  });
  // Checks are refused only at the in-flight bound: no backlog signal (nothing to protect
  // downstream of a check but the projector, which the loop signals see in this process).
  const admission = admissionFromEnv({
    env: process.env,
    backlog: false,
    platform,
    service: "verification",
    metrics: observed.metrics,
  });
  const { server } = grpcServerFromEnv(process.env, platform.logger, [], admission.gate);
  const app = createVerificationApp(platform, {
    retentionMs: cfg.OTP_RETENTION_HOURS * 3_600_000,
    metrics: observed.metrics,
  });
  app.register(server);
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
