/**
 * What stands between a request and a send: tenant request rate, per-phone, per-client and
 * per-destination limits, geo permissions, refused number types and the SMS pumping guard.
 * Counters are keyed on the tenant and the phone (a keyed hash), never on a session, so a new
 * session does not reset them. Each refusal is an OtpError a client can act on.
 */
import { OtpError } from "../../shared/src/errors";
import type { Logger } from "../../shared/src/log";
import type { NumberType } from "../../shared/src/numbering";
import type { ChannelName, TenantPolicy } from "../../shared/src/policy";
import type { Store } from "../../shared/src/store/port";
import { counterWindow, rateLimit } from "../../shared/src/store/scripts";
import { pumpBlockKey, recordPumpSend } from "../../shared/src/fraud/pumping-script";

export interface SendSubject {
  tenant: string;
  policy: TenantPolicy;
  /** Keyed hash of the phone number. */
  phoneKey: string;
  /** The number itself, for the per-prefix limit (never stored or logged). */
  e164: string;
  /** "+62812": the masked number's visible head, the prefix the pumping guard counts by. */
  prefix: string;
  country: string;
  clientIp: string;
  deviceId: string;
}

export interface AbuseGuards {
  /** Tenant request rate (every RPC that creates work). */
  admitTenant(tenant: string, policy: TenantPolicy): Promise<void>;
  /** Who may receive a code at all: country and number type. */
  checkDestination(policy: TenantPolicy, country: string, type: NumberType, workflow: ChannelName[]): void;
  /** Limits for a new verification; counts it. */
  admitStart(subject: SendSubject): Promise<void>;
  /** Limits for one more send (start or resend); counts it and feeds the pumping guard. */
  admitSend(subject: SendSubject): Promise<void>;
}

const MINUTE = 60_000;

function limited(what: string, retryAfterMs: number): OtpError {
  return new OtpError("OTP_RATE_LIMITED", `rate limit exceeded: ${what}`, {
    retryAfterMs: Math.max(1, retryAfterMs),
  });
}

export function createAbuseGuards({
  store,
  now,
  logger,
}: {
  store: Store;
  now: () => number;
  logger: Logger;
}): AbuseGuards {
  const capped = async (key: string, windowMs: number, limit: number, what: string): Promise<void> => {
    const r = await store.run(counterWindow, { key, windowMs, limit });
    if (!r.allowed) throw limited(what, r.retryAfterMs);
  };
  /** Tenant, prefix and window of each low-conversion warning already written. */
  const lowReported = new Set<string>();

  return {
    async admitTenant(tenant, policy) {
      const { requestsPerSecond, burst } = policy.limits.perTenant;
      const r = await store.run(rateLimit, { key: `tenant:${tenant}`, ratePerSec: requestsPerSecond, burst });
      if (!r.allowed) throw limited("tenant requests per second", r.retryAfterMs);
    },

    checkDestination(policy, country, type, workflow) {
      if (!policy.geo.allowedCountries.includes(country)) {
        throw new OtpError(
          "OTP_DESTINATION_BLOCKED",
          `destination country ${country} is not enabled for this tenant`,
        );
      }
      const refusedEverywhere = workflow.every((ch) => policy.fraud.refusedNumberTypes[ch].includes(type));
      if (refusedEverywhere) {
        throw new OtpError("OTP_DESTINATION_BLOCKED", `numbers of type ${type} cannot receive codes`);
      }
    },

    async admitStart(s) {
      const l = s.policy.limits;
      await capped(
        `start:${s.tenant}|${s.phoneKey}`,
        10 * MINUTE,
        l.perPhone.startsPer10Minutes,
        "verifications per phone",
      );
      if (s.clientIp)
        await capped(
          `ip:${s.tenant}|${s.clientIp}`,
          MINUTE,
          l.perClientIp.startsPerMinute,
          "verifications per client IP",
        );
      if (s.deviceId)
        await capped(
          `dev:${s.tenant}|${s.deviceId}`,
          MINUTE,
          l.perDevice.startsPerMinute,
          "verifications per device",
        );
    },

    async admitSend(s) {
      const l = s.policy.limits;
      const guard = s.policy.fraud.pumpingGuard;
      if (
        guard.enabled &&
        !guard.shadowMode &&
        (await store.get(store.key(pumpBlockKey(s.tenant, s.prefix))))
      ) {
        throw new OtpError(
          "OTP_FRAUD_BLOCKED",
          `destination prefix ${s.prefix} is temporarily blocked (suspected SMS pumping)`,
        );
      }
      await capped(
        `send:${s.tenant}|${s.phoneKey}`,
        60 * MINUTE,
        l.perPhone.sendsPerHour,
        "sends per phone per hour",
      );
      const prefix = s.e164.slice(0, 1 + l.perDestinationPrefix.prefixDigits);
      await capped(
        `pfx:${s.tenant}|${prefix}`,
        MINUTE,
        l.perDestinationPrefix.sendsPerMinute,
        "sends per destination prefix",
      );
      await capped(`cty:${s.tenant}|${s.country}`, MINUTE, l.perCountry.sendsPerMinute, "sends per country");
      if (!guard.enabled) return;
      const windowMs = guard.windowSeconds * 1000;
      const r = await store.run(recordPumpSend, {
        tenant: s.tenant,
        prefix: s.prefix,
        windowIndex: Math.floor(now() / windowMs),
        windowMs,
        minSends: guard.minSends,
        minConversionPermille: Math.round(guard.minConversion * 1000),
        blockMs: guard.blockDurationSeconds * 1000,
        shadow: guard.shadowMode,
      });
      const windowKey = `${s.tenant}|${s.prefix}|${Math.floor(now() / windowMs)}`;
      if (r.judgedLow && !lowReported.has(windowKey)) {
        // Once per prefix and window: every send to a suspect prefix would be a line otherwise.
        if (lowReported.size > 10_000) lowReported.clear();
        lowReported.add(windowKey);
        logger.warn("pumping guard: low conversion", {
          tenant: s.tenant,
          prefix: s.prefix,
          sends: r.sends,
          verified: r.verified,
          action: guard.shadowMode ? "report" : "block",
        });
      }
    },
  };
}
