/**
 * How the CLI behaves when the platform sheds load: a refusal that carries RetryInfo
 * (OTP_OVERLOADED, OTP_RATE_LIMITED) is retried after that delay stretched by a random factor
 * in [1, 2) — the delay is the floor, the jitter keeps a crowd refused together from coming
 * back together — a few times, then the refusal is shown. Anything else fails at once.
 */
import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { decodeStatusDetails } from "@platform/grpc/status";

export interface RetryPolicy {
  /** Refusals retried before giving up. */
  retries: number;
  random: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Told of each wait (the CLI prints it on stderr). */
  onWait?: (ms: number, reason: string) => void;
}

const RETRIED = new Set<number>([GrpcStatus.UNAVAILABLE, GrpcStatus.RESOURCE_EXHAUSTED]);

/** The wait before the next try, or undefined when this error is not to be retried. */
export function retryDelay(err: unknown, random: () => number): { ms: number; reason: string } | undefined {
  const e = err as Partial<ServiceError>;
  if (typeof e?.code !== "number" || !RETRIED.has(e.code) || e.metadata === undefined) return undefined;
  const decoded = decodeStatusDetails(e as ServiceError);
  if (decoded.retryAfterMs === undefined) return undefined;
  return {
    ms: Math.round(decoded.retryAfterMs * (1 + random())),
    reason: decoded.reason ?? GrpcStatus[e.code],
  };
}

export async function withRetry<T>(call: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const wait = attempt < policy.retries ? retryDelay(err, policy.random) : undefined;
      if (wait === undefined) throw err;
      policy.onWait?.(wait.ms, wait.reason);
      await policy.sleep(wait.ms);
    }
  }
}
