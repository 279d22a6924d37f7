/**
 * Support assistant service: `npx tsx services/assistant/src/main.ts`. Settings: see README.md.
 * Reaches issuance's otp.v1.SupportService and routing's otp.v1.RoutingService over gRPC as a
 * service principal (an mTLS certificate with CN=service:assistant, or a static token in
 * development), serves its own signed WhatsApp webhook, and handles the inbound topic as a
 * member of its consumer group.
 */
// First: tracing patches grpc-js, http and ioredis before anything loads them.
import { telemetry } from "@platform/telemetry/instrumentation";
import { readFileSync } from "node:fs";
import { address, optionalStr, readConfig } from "@platform/config";
import type { GrpcClientOptions } from "@platform/grpc/client";
import { platformFromEnv } from "@platform/runtime/platform";
import { EVENT_ROLES } from "@domain/events/ownership";
import { runMain, runUntilSignalled } from "@platform/runtime/run-main";
import { startServiceMetrics } from "@platform/telemetry/service-metrics";
import { createGrpcPorts } from "./adapters/grpc-ports";
import { assistantConfigFromEnv } from "./config";
import { createAssistantService } from "./service";

runMain(async () => {
  const grpcSpec = {
    ASSISTANT_ISSUANCE_ADDRESS: address("127.0.0.1:50051"),
    ASSISTANT_ROUTING_ADDRESS: address("127.0.0.1:50051"),
    ASSISTANT_GRPC_TOKEN: optionalStr(),
    OTP_TLS_CA: optionalStr(),
    OTP_TLS_CERT: optionalStr(),
    OTP_TLS_KEY: optionalStr(),
  };
  const platform = await platformFromEnv({
    service: "assistant",
    events: EVENT_ROLES.assistant,
    alsoCheck: [() => readConfig(grpcSpec), () => assistantConfigFromEnv()],
  });
  const grpc = readConfig(grpcSpec);
  const config = assistantConfigFromEnv();
  // /metrics (the process and the inbound topic's consumer lag) also serves the pod's probes.
  const observed = await startServiceMetrics({
    service: "assistant",
    env: process.env,
    logger: platform.logger,
    kafkaRequests: platform.kafkaRequests,
    eventRejections: platform.eventRejections,
    consumerGroups: [{ groupId: config.groupId, topics: [config.inboundTopic] }],
  });
  const client = (target: string): GrpcClientOptions => ({
    address: target,
    ...(grpc.ASSISTANT_GRPC_TOKEN === undefined ? {} : { token: grpc.ASSISTANT_GRPC_TOKEN }),
    ...(grpc.OTP_TLS_CA === undefined
      ? { insecure: true as const }
      : {
          tls: {
            ca: readFileSync(grpc.OTP_TLS_CA),
            ...(grpc.OTP_TLS_CERT === undefined ? {} : { cert: readFileSync(grpc.OTP_TLS_CERT) }),
            ...(grpc.OTP_TLS_KEY === undefined ? {} : { key: readFileSync(grpc.OTP_TLS_KEY) }),
          },
        }),
  });
  const ports = createGrpcPorts(
    client(grpc.ASSISTANT_ISSUANCE_ADDRESS),
    client(grpc.ASSISTANT_ROUTING_ADDRESS),
  );
  const service = createAssistantService({ ...platform, ...ports, config });
  const cleanup = async () => {
    ports.close();
    await platform.close();
    await observed.close();
    await telemetry.shutdown();
  };
  await runUntilSignalled(service, cleanup, platform.logger);
});
