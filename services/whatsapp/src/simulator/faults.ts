/**
 * Answers the scenario forces on a send before its payload is looked at: the next `failFirst`
 * failures, a server-error outage, and the per-sender rate limit (sliding one-second window).
 */
import { activeOutage, type Scenario } from "./scenario";
import type { GraphErrorAnswer } from "./send-request";

export interface ForcedAnswer {
  error: GraphErrorAnswer;
  retryAfterSeconds?: number;
}

export interface FaultInjector {
  forced(phoneNumberId: string, to: string): ForcedAnswer | undefined;
  /** Start over with a new scenario. */
  reset(): void;
}

export function createFaultInjector(scenario: () => Scenario, now: () => number): FaultInjector {
  let failFirstLeft = scenario().failFirst?.count ?? 0;
  const sentAt = new Map<string, number[]>();

  const overRate = (phoneNumberId: string, limit: number): boolean => {
    const t = now();
    const recent = (sentAt.get(phoneNumberId) ?? []).filter((at) => t - at < 1000);
    sentAt.set(phoneNumberId, recent);
    if (recent.length >= limit) return true;
    recent.push(t);
    return false;
  };

  return {
    forced(phoneNumberId, to) {
      const s = scenario();
      if (failFirstLeft > 0 && s.failFirst) {
        failFirstLeft -= 1;
        const { httpStatus, code } = s.failFirst;
        const retryAfterSeconds = httpStatus === 429 ? s.retryAfterSeconds : undefined;
        return { error: { httpStatus, code, message: `(#${code}) simulated failure` }, retryAfterSeconds };
      }
      const outage = activeOutage(s, to, phoneNumberId, now());
      if (outage?.effect === "server-error") {
        const message = "(#2) Service temporarily unavailable";
        return { error: { httpStatus: outage.httpStatus ?? 503, code: 2, message } };
      }
      if (s.rateLimitPerSecond !== undefined && overRate(phoneNumberId, s.rateLimitPerSecond)) {
        const error = { httpStatus: 429, code: 130429, message: "(#130429) Rate limit hit" };
        return { error, retryAfterSeconds: s.retryAfterSeconds };
      }
      return undefined;
    },
    reset() {
      failFirstLeft = scenario().failFirst?.count ?? 0;
      sentAt.clear();
    },
  };
}
