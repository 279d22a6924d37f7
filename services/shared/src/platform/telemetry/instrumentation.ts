/**
 * Loaded before anything else, so that grpc-js, node:http and ioredis are patched before any
 * module holds them: the first import of every service's main.ts, or preloaded
 * (`node -r ./dist/services/shared/src/platform/telemetry/instrumentation.js <entry>`, or
 * `node --import tsx --require ./services/shared/src/platform/telemetry/instrumentation.ts <entry>`).
 * Does nothing unless the OTEL_* variables ask for traces (see sdk.ts).
 *
 * The SDK registers itself with the process-wide OpenTelemetry API, so it is started once per
 * process even when this file is both preloaded and imported.
 */
import { serviceNameOfEntry, startTelemetry, type Telemetry } from "./sdk";

const STARTED = Symbol.for("otp-router.telemetry");
const holder = globalThis as { [STARTED]?: Telemetry };

export const telemetry: Telemetry = (holder[STARTED] ??= startTelemetry({
  serviceName: serviceNameOfEntry(process.argv[1]),
  env: process.env,
}));
