/**
 * Request-side metrics, recorded by wrapping what a service already has rather than by
 * changing it: gRPC handlers (calls, status, duration).
 */
import { isOtpError } from "@domain/errors";
import { errorCodeLabel } from "./labels";
import type { OtpMetrics } from "./metrics";

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
  metrics: Pick<OtpMetrics, "grpcRequests" | "grpcDuration"> | undefined,
): H {
  if (metrics === undefined) return handlers;
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
