/**
 * Request-side metrics, recorded by wrapping what a service already has rather than by
 * changing it: gRPC handlers (calls, status, duration). Every gRPC service of a process records
 * into the same series, declared on its registry by the first one metered.
 */
import { Counter, Histogram, type Registry } from "prom-client";
import { isOtpError } from "@domain/errors";
import { errorCodeLabel } from "./labels";
import type { OtpMetrics } from "./metrics";

const RPC_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

function requestMetrics(registers: Registry[]) {
  return {
    grpcRequests: new Counter({
      name: "otp_grpc_requests_total",
      help: "gRPC calls handled, by method and status code",
      labelNames: ["method", "code"] as const,
      registers,
    }),
    grpcDuration: new Histogram({
      name: "otp_grpc_request_duration_seconds",
      help: "gRPC call handling time",
      labelNames: ["method"] as const,
      buckets: RPC_BUCKETS,
      registers,
    }),
  };
}

interface AnyHandler {
  readonly kind: "unary" | "serverStream";
  readonly handle: (...args: never[]) => Promise<unknown>;
}

/** A failed call's outcome label: its error code (rate_limited...), else internal. */
export const errorOutcome = (err: unknown): string =>
  errorCodeLabel(isOtpError(err) ? err.code : "OTP_INTERNAL");

/**
 * Counts and times every call of a service's handlers: `otp_grpc_requests_total{method, code}`
 * with code "ok" or the error code, and the duration of unary calls.
 */
export function meterHandlers<H extends Record<string, AnyHandler>>(
  serviceName: string,
  handlers: H,
  processMetrics: OtpMetrics | undefined,
): H {
  if (processMetrics === undefined) return handlers;
  const metrics = processMetrics.declare(requestMetrics);
  const metered: Record<string, AnyHandler> = {};
  for (const [key, handler] of Object.entries(handlers)) {
    const method = `${serviceName}/${key.charAt(0).toUpperCase()}${key.slice(1)}`;
    const handle = async (...args: never[]): Promise<unknown> => {
      const stopTimer = handler.kind === "unary" ? metrics.grpcDuration.startTimer({ method }) : undefined;
      try {
        const result = await handler.handle(...args);
        metrics.grpcRequests.inc({ method, code: "ok" });
        return result;
      } catch (err) {
        metrics.grpcRequests.inc({ method, code: errorOutcome(err) });
        throw err;
      } finally {
        stopTimer?.();
      }
    };
    metered[key] = { kind: handler.kind, handle };
  }
  return metered as H;
}
