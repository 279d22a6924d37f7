/**
 * Issuance's Prometheus metrics, declared on the process's registry
 * (`metrics.declare(issuanceMetrics)`), and recorded by wrapping what issuance already has
 * rather than by changing it: the start (outcome by purpose) and the abuse guards (refusals by
 * guard and reason).
 */
import { Counter, type Registry } from "prom-client";
import { isOtpError } from "@domain/errors";
import { errorOutcome } from "@platform/telemetry/request-metrics";

export type IssuanceMetrics = ReturnType<typeof issuanceMetrics>;

export function issuanceMetrics(registers: Registry[]) {
  return {
    startRequests: new Counter({
      name: "otp_start_requests_total",
      help: "StartVerification calls by purpose and outcome (started, reused, or the error code)",
      labelNames: ["purpose", "outcome"] as const,
      registers,
    }),
    guardBlocks: new Counter({
      name: "otp_guard_blocks_total",
      help: "Requests refused by a rate limit, the SMS pumping guard or geo / number-type rules",
      labelNames: ["guard", "reason"] as const,
      registers,
    }),
  };
}

/**
 * StartVerification outcomes by purpose: started, reused, or the error code. A purpose the
 * tenant's policy does not know is "other" (clients cannot grow the label set).
 */
export function meterStarts<Req extends { purpose: string }, Res extends { reused: boolean }>(
  start: (tenant: string, request: Req) => Promise<Res>,
  metrics: Pick<IssuanceMetrics, "startRequests"> | undefined,
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
      metrics.startRequests.inc({ purpose, outcome: errorOutcome(err) });
      throw err;
    }
  };
}

/** Counts each refusal of any of the guards' checks (sync or async) in otp_guard_blocks_total. */
export function meterGuardBlocks<G extends object>(
  guards: G,
  metrics: Pick<IssuanceMetrics, "guardBlocks"> | undefined,
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
export function countGuardBlocks(metrics: Pick<IssuanceMetrics, "guardBlocks">): (err: unknown) => void {
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
