/**
 * The rules a new verification gets, given whether an incident is declared. Incident relief
 * (a longer-lived code while a carrier delays messages) applies only to the risk tiers the
 * policy lists, which never include high: high-risk purposes get their rules unchanged.
 */
import { OtpError } from "../errors";
import { MAX_TTL_SECONDS } from "./read-purposes";
import type { PurposeRules, TenantPolicy } from "./types";

export interface EffectivePurposeRules extends PurposeRules {
  /** Seconds after the start during which resends may be requested. */
  resendWindowSeconds: number;
  /** True when incident relief changed anything. */
  incidentRelief: boolean;
}

/** The purpose's rules; OTP_INVALID_ARGUMENT for a purpose the tenant does not define. */
function purposeRules(policy: TenantPolicy, purpose: string): PurposeRules {
  const rules = Object.hasOwn(policy.purposes, purpose) ? policy.purposes[purpose] : undefined;
  if (!rules) {
    const known = Object.keys(policy.purposes).sort().join(", ");
    throw new OtpError("OTP_INVALID_ARGUMENT", `purpose: unknown purpose (expected one of ${known})`, {
      violations: [{ field: "purpose", description: `unknown purpose (expected one of ${known})` }],
    });
  }
  return rules;
}

export function effectivePurposeRules(
  policy: TenantPolicy,
  purpose: string,
  context: { incidentActive: boolean },
): EffectivePurposeRules {
  const rules = purposeRules(policy, purpose);
  const unchanged = { ...rules, resendWindowSeconds: rules.ttlSeconds, incidentRelief: false };
  const { incident } = policy;
  const eligible = rules.riskTier !== "high" && incident.riskTiers.includes(rules.riskTier);
  if (!context.incidentActive || !eligible || incident.extendTtlSeconds === 0) return unchanged;
  const ttlSeconds = Math.min(MAX_TTL_SECONDS, rules.ttlSeconds + incident.extendTtlSeconds);
  if (ttlSeconds === rules.ttlSeconds) return unchanged;
  return {
    ...rules,
    ttlSeconds,
    resendWindowSeconds: incident.extendResendWindow ? ttlSeconds : rules.ttlSeconds,
    incidentRelief: true,
  };
}
