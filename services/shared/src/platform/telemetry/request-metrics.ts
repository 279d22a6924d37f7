/**
 * Request-side metrics, recorded by wrapping what a service already has rather than by
 * changing it: gRPC handlers (calls, status, duration), issuance's start (outcome by purpose)
 * and the abuse guards (refusals by guard and reason).
 */
import { isOtpError } from "@domain/errors";
import { errorCodeLabel } from "./labels";
import type { OtpMetrics } from "./metrics";

interface AnyHandler {
  readonly kind: "unary" | "serverStream";
  readonly handle: (...args: never[]) => Promise<unknown>;
}

const outcomeOf = (err: unknown): string => errorCodeLabel(isOtpError(err) ? err.code : "OTP_INTERNAL");

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
        metrics.grpcRequests.inc({ method, code: outcomeOf(err) });
        throw err;
      } finally {
        stopTimer?.();
      }
    };
    metered[key] = { kind: handler.kind, handle };
  }
  return metered as H;
}

/**
 * StartVerification outcomes by purpose: started, reused, or the error code. A purpose the
 * tenant's policy does not know is "other" (clients cannot grow the label set).
 */
export function meterStarts<Req extends { purpose: string }, Res extends { reused: boolean }>(
  start: (tenant: string, request: Req) => Promise<Res>,
  metrics: Pick<OtpMetrics, "startRequests"> | undefined,
  isKnownPurpose: (tenant: string, purpose: string) => boolean,
): (tenant: string, request: Req) => Promise<Res> {
  if (metrics === undefined) return start;
  return async (tenant, request) => {
    const purpose = isKnownPurpose(tenant, request.purpose) ? request.purpose : "other";
    try {
      const result = await start(tenant, request);
      metrics.startRequests.inc({ purpose, outcome: result.reused ? "reused" : "started" });
      return result;
    } catch (err) {
      metrics.startRequests.inc({ purpose, outcome: outcomeOf(err) });
      throw err;
    }
  };
}

/** Counts each refusal of any of the guards' checks (sync or async) in otp_guard_blocks_total. */
export function meterGuardBlocks<G extends object>(
  guards: G,
  metrics: Pick<OtpMetrics, "guardBlocks"> | undefined,
): G {
  if (metrics === undefined) return guards;
  const count = countGuardBlocks(metrics);
  const metered: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(guards)) {
    if (typeof value !== "function") {
      metered[name] = value;
      continue;
    }
    metered[name] = (...args: unknown[]): unknown => {
      try {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(guards, args);
        if (result instanceof Promise) {
          return result.catch((err: unknown) => {
            count(err);
            throw err;
          });
        }
        return result;
      } catch (err) {
        count(err);
        throw err;
      }
    };
  }
  return metered as G;
}

/** Counts a refusal in otp_guard_blocks_total when it is a guard's (other errors pass uncounted). */
export function countGuardBlocks(metrics: Pick<OtpMetrics, "guardBlocks">): (err: unknown) => void {
  return (err) => {
    const block = guardBlockOf(err);
    if (block) metrics.guardBlocks.inc(block);
  };
}

/**
 * Which guard refused, and why, from the refusal's stable code and (for rate limits) the
 * limit's name: "rate limit exceeded: sends per phone per hour" → sends_per_phone_per_hour.
 */
export function guardBlockOf(err: unknown): { guard: string; reason: string } | undefined {
  if (!isOtpError(err)) return undefined;
  if (err.code === "OTP_RATE_LIMITED") {
    const limit = /^rate limit exceeded: ([a-z ]{1,60})$/.exec(err.message)?.[1];
    return { guard: "rate_limit", reason: limit ? limit.trim().replace(/ +/g, "_") : "other" };
  }
  if (err.code === "OTP_FRAUD_BLOCKED") return { guard: "pumping_guard", reason: "low_conversion_prefix" };
  if (err.code === "OTP_DESTINATION_BLOCKED") {
    if (/country/.test(err.message)) return { guard: "destination", reason: "country_not_enabled" };
    const type = /numbers of type ([a-z_]{1,20}) /.exec(err.message)?.[1];
    return { guard: "destination", reason: type ? `number_type_${type}` : "other" };
  }
  return undefined;
}
