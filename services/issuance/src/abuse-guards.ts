/**
 * What stands between a request and a send: tenant request rate, per-phone, per-client and
 * per-destination limits and the SMS pumping guard. (Geo permissions and refused number types
 * are decided from the policy alone: core/start.ts.)
 * Counters are keyed on the tenant and the phone (a keyed hash), never on a session, so a new
 * session does not reset them. Each refusal is an OtpError a client can act on.
 *
 * Every limit of a start or a resend is checked in one store call (limits-script.ts), which
 * also claims the start's idempotency and active-verification keys.
 */
import { OtpError } from "@domain/errors";
import type { Logger } from "@platform/log";
import type { TenantPolicy } from "@domain/policy";
import type { Store } from "@platform/store/port";
import type { Admission } from "./core/admission";
import { admitLimits, type LimitsInput, type LimitWindow } from "./limits-script";

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

/** A key the limits claim for the request when every limit passes (first writer wins). */
export interface Claim {
  key: string;
  value: string;
  ttlMs: number;
}

export interface AdmitRequest {
  subject: SendSubject;
  /** A new verification (also counts starts per phone, client IP and device), or a resend. */
  kind: "start" | "resend";
  /** False when this request's tenant rate was counted by an earlier call. */
  countRequest: boolean;
  idempotency?: Claim;
  /** `replacing`: an ended verification the key may still name. */
  active?: Claim & { replacing?: string };
}

export interface AbuseGuards {
  /** Only the tenant request rate: for a request refused before its limits are checked. */
  admitTenant(tenant: string, policy: TenantPolicy): Promise<void>;
  /**
   * Every limit of a start or a resend, counted only when all pass; claims the request's keys
   * then. Throws the refusal (the first in order: rate, pumping block, windows).
   */
  admit(request: AdmitRequest): Promise<Admission>;
}

const MINUTE = 60_000;

function limited(what: string, retryAfterMs: number): OtpError {
  return new OtpError("OTP_RATE_LIMITED", `rate limit exceeded: ${what}`, {
    retryAfterMs: Math.max(1, retryAfterMs),
  });
}

const TENANT_RATE = "tenant requests per second";

/** The capped windows of a request, in the order they are checked, with what each limits. */
function windowsOf(s: SendSubject, kind: AdmitRequest["kind"]): (LimitWindow & { what: string })[] {
  const l = s.policy.limits;
  const windows: (LimitWindow & { what: string })[] = [];
  if (kind === "start") {
    windows.push({
      name: `start|${s.phoneKey}`,
      windowMs: 10 * MINUTE,
      limit: l.perPhone.startsPer10Minutes,
      what: "verifications per phone",
    });
    if (s.clientIp) {
      windows.push({
        name: `ip|${s.clientIp}`,
        windowMs: MINUTE,
        limit: l.perClientIp.startsPerMinute,
        what: "verifications per client IP",
      });
    }
    if (s.deviceId) {
      windows.push({
        name: `dev|${s.deviceId}`,
        windowMs: MINUTE,
        limit: l.perDevice.startsPerMinute,
        what: "verifications per device",
      });
    }
  }
  windows.push(
    {
      name: `send|${s.phoneKey}`,
      windowMs: 60 * MINUTE,
      limit: l.perPhone.sendsPerHour,
      what: "sends per phone per hour",
    },
    {
      name: `pfx|${s.e164.slice(0, 1 + l.perDestinationPrefix.prefixDigits)}`,
      windowMs: MINUTE,
      limit: l.perDestinationPrefix.sendsPerMinute,
      what: "sends per destination prefix",
    },
    {
      name: `cty|${s.country}`,
      windowMs: MINUTE,
      limit: l.perCountry.sendsPerMinute,
      what: "sends per country",
    },
  );
  return windows;
}

function tenantRate(policy: TenantPolicy): LimitsInput["rate"] {
  const { requestsPerSecond, burst } = policy.limits.perTenant;
  return { ratePerSec: requestsPerSecond, burst };
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
  /** Tenant, prefix and window of each low-conversion warning already written. */
  const lowReported = new Set<string>();

  const reportLow = (s: SendSubject, windowIndex: number, sends: number, verified: number): void => {
    const windowKey = `${s.tenant}|${s.prefix}|${windowIndex}`;
    // Once per prefix and window: every send to a suspect prefix would be a line otherwise.
    if (lowReported.has(windowKey)) return;
    if (lowReported.size > 10_000) lowReported.clear();
    lowReported.add(windowKey);
    logger.warn("pumping guard: low conversion", {
      tenant: s.tenant,
      prefix: s.prefix,
      sends,
      verified,
      action: s.policy.fraud.pumpingGuard.shadowMode ? "report" : "block",
    });
  };

  return {
    async admitTenant(tenant, policy) {
      const r = await store.run(admitLimits, { tenant, rate: tenantRate(policy), windows: [] });
      if (r.kind === "rate-limited") throw limited(TENANT_RATE, r.retryAfterMs);
    },

    async admit(request) {
      const s = request.subject;
      const guard = s.policy.fraud.pumpingGuard;
      const windows = windowsOf(s, request.kind);
      const windowMs = guard.windowSeconds * 1000;
      const windowIndex = Math.floor(now() / windowMs);
      const r = await store.run(admitLimits, {
        tenant: s.tenant,
        rate: request.countRequest ? tenantRate(s.policy) : undefined,
        idempotency: request.idempotency,
        active: request.active,
        blockedPrefix: guard.enabled && !guard.shadowMode ? s.prefix : undefined,
        windows: windows.map(({ name, windowMs: ms, limit }) => ({ name, windowMs: ms, limit })),
        pump: guard.enabled
          ? {
              prefix: s.prefix,
              windowIndex,
              windowMs,
              minSends: guard.minSends,
              minConversionPermille: Math.round(guard.minConversion * 1000),
              blockMs: guard.blockDurationSeconds * 1000,
              shadow: guard.shadowMode,
            }
          : undefined,
      });
      switch (r.kind) {
        case "admitted":
          if (r.pump.judgedLow) reportLow(s, windowIndex, r.pump.sends, r.pump.verified);
          return { kind: "admitted" };
        case "idempotent":
        case "idempotency-mismatch":
        case "active":
          return r;
        case "rate-limited":
          throw limited(TENANT_RATE, r.retryAfterMs);
        case "blocked":
          throw new OtpError(
            "OTP_FRAUD_BLOCKED",
            `destination prefix ${s.prefix} is temporarily blocked (suspected SMS pumping)`,
          );
        case "window-limited":
          throw limited(windows[r.window]?.what ?? "limit", r.retryAfterMs);
      }
    },
  };
}
