/**
 * The OpenTelemetry SDK of a service: traces only (metrics are Prometheus, see metrics.ts),
 * gRPC, HTTP and ioredis instrumentation, W3C trace context + baggage propagation (the SDK's
 * default, or OTEL_PROPAGATORS). It starts only when tracing is asked for, by the standard
 * variables: OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (OTLP, default
 * protocol http/protobuf, which Jaeger takes on :4318) or OTEL_TRACES_EXPORTER (otlp, zipkin,
 * console, none); OTEL_SDK_DISABLED=true wins. Otherwise nothing is patched and every span in
 * the code is a no-op. Sampling, batching and resource attributes follow the other OTEL_*
 * variables (OTEL_TRACES_SAMPLER, OTEL_BSP_*, OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME).
 *
 * Privacy: Redis spans carry only the command name (scripts' arguments hold keyed hashes and
 * sealed values); incoming HTTP spans drop the WhatsApp handshake's verify token from the URL;
 * `/metrics` scrapes are not traced.
 */
import type { IncomingMessage } from "node:http";
import { GrpcInstrumentation } from "@opentelemetry/instrumentation-grpc";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { IORedisInstrumentation } from "@opentelemetry/instrumentation-ioredis";
import { NodeSDK } from "@opentelemetry/sdk-node";
import type { Env } from "../config";

type SdkConfiguration = NonNullable<ConstructorParameters<typeof NodeSDK>[0]>;
export type SpanProcessor = NonNullable<SdkConfiguration["spanProcessors"]>[number];

export interface TelemetryOptions {
  /** service.name unless OTEL_SERVICE_NAME is set. */
  serviceName: string;
  env: Env;
  /** Tests: where spans go instead of the exporter the environment names (starts the SDK). */
  spanProcessors?: SpanProcessor[];
}

export interface Telemetry {
  readonly enabled: boolean;
  /** Exports what is buffered and stops; the last thing a main does before it exits. */
  shutdown(): Promise<void>;
}

/**
 * Query parameters that are secrets: never in a span. `code` and `state` are what an operator's
 * redirect brings to the silent-verification callback (an OIDC authorization code and the
 * single-use session it belongs to).
 */
const REDACTED_QUERY_PARAMS = [
  "code",
  "state",
  "id_token",
  "client_secret",
  "hub.verify_token",
  "hub.challenge",
  "access_token",
  "token",
  "sig",
  "signature",
  "Signature",
  "AWSAccessKeyId",
  "X-Goog-Signature",
];

export function tracingRequested(env: Env): boolean {
  if (/^true$/i.test(env.OTEL_SDK_DISABLED ?? "")) return false;
  return Boolean(
    env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_TRACES_EXPORTER,
  );
}

export function startTelemetry(options: TelemetryOptions): Telemetry {
  if (options.spanProcessors === undefined && !tracingRequested(options.env)) {
    return { enabled: false, shutdown: async () => undefined };
  }
  const sdk = new NodeSDK({
    ...(options.env.OTEL_SERVICE_NAME ? {} : { serviceName: options.serviceName }),
    ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
    instrumentations: instrumentations(),
    // Metrics are scraped from prom-client registries and logs are JSON lines on stdout: the
    // SDK must not start pushing either to the OTLP endpoint.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  let stopping: Promise<void> | undefined;
  return {
    enabled: true,
    shutdown: () => (stopping ??= sdk.shutdown().catch(() => undefined)),
  };
}

function instrumentations() {
  return [
    new GrpcInstrumentation(),
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (request: IncomingMessage) => (request.url ?? "").startsWith("/metrics"),
      redactedQueryParams: REDACTED_QUERY_PARAMS,
      redactedQueryParamsServer: REDACTED_QUERY_PARAMS,
    }),
    new IORedisInstrumentation({ dbStatementSerializer: (command: string) => command }),
  ];
}

/**
 * service.name from the entry point when OTEL_SERVICE_NAME is not set:
 * services/<name>/src/main → <name>, gateway-smpp/src/main → gateway-smpp (also under dist/),
 * a simulator's main → <name>-simulator.
 */
export function serviceNameOfEntry(entry: string | undefined): string {
  const path = (entry ?? "").replace(/\\/g, "/");
  const simulator = /\/simulator\/main\.[cm]?[jt]s$/.test(path) ? "-simulator" : "";
  const service = /(?:^|\/)services\/([^/]+)\/src\//.exec(path)?.[1];
  if (service !== undefined) return service + simulator;
  if (/(?:^|\/)gateway-smpp\/src\//.test(path)) return "gateway-smpp" + simulator;
  return "otp-router";
}
