/**
 * The telemetry SDK of the tracing test, started the way every service starts it (same
 * instrumentations, same privacy settings: services/shared/src/platform/telemetry/sdk.ts) but with an
 * in-test span collector instead of an OTLP exporter. Must be the test file's first import,
 * so that grpc-js, node:http and ioredis are patched before anything loads them.
 */
import { startTelemetry, type SpanProcessor } from "@platform/telemetry/sdk";

export type FinishedSpan = Parameters<SpanProcessor["onEnd"]>[0];

export const finishedSpans: FinishedSpan[] = [];

const collector: SpanProcessor = {
  onStart: () => undefined,
  onEnd: (span) => {
    finishedSpans.push(span);
  },
  forceFlush: async () => undefined,
  shutdown: async () => undefined,
};

export const telemetry = startTelemetry({
  serviceName: "otp-router-test",
  env: {},
  spanProcessors: [collector],
});
