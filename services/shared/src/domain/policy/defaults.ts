/**
 * The policy every tenant starts from. A tenant's file only says where it differs.
 *
 * Workflows (the order channels are tried in):
 * - `default`: WhatsApp, then SMS when WhatsApp gave no delivery receipt within 20 s, then a
 *   voice call when the code is still not verified 30 s after the SMS. WhatsApp first because
 *   it is cheap, encrypted and usually fastest; voice last because it costs most and is the
 *   channel most exposed to IRSF.
 * - `sms_first`: SMS, WhatsApp, voice, for audiences where WhatsApp is not the norm.
 * - `silent_first`: the mobile network confirms the number without a code (10 s, only when the
 *   device is on mobile data and the number's operator has a gateway), then as `default`.
 * - `high_risk`: WhatsApp, then SMS, and no voice: a code read out in a call can end up in
 *   a voicemail box or on a forwarded line, and high-risk actions should rather fail than
 *   lower the bar. Where regulators move high-risk actions off SMS (BSP Circular 1213 in the
 *   Philippines, BNM in Malaysia), a tenant defines its own workflow without SMS.
 */
import type { NumberType } from "../numbering/types";
import type { PurposeRules, RiskTierName, TenantPolicy, WorkflowStep } from "./types";

export const DEFAULT_WORKFLOWS: Record<string, WorkflowStep[]> = {
  default: [
    { channel: "whatsapp", timeoutSeconds: 20, advanceWhen: "not_delivered" },
    { channel: "sms", timeoutSeconds: 30, advanceWhen: "not_verified" },
    { channel: "voice", timeoutSeconds: 60, advanceWhen: "not_verified" },
  ],
  sms_first: [
    { channel: "sms", timeoutSeconds: 30, advanceWhen: "not_delivered" },
    { channel: "whatsapp", timeoutSeconds: 30, advanceWhen: "not_verified" },
    { channel: "voice", timeoutSeconds: 60, advanceWhen: "not_verified" },
  ],
  silent_first: [
    { channel: "silent", timeoutSeconds: 10, advanceWhen: "not_delivered" },
    { channel: "whatsapp", timeoutSeconds: 20, advanceWhen: "not_delivered" },
    { channel: "sms", timeoutSeconds: 30, advanceWhen: "not_verified" },
    { channel: "voice", timeoutSeconds: 60, advanceWhen: "not_verified" },
  ],
  high_risk: [
    { channel: "whatsapp", timeoutSeconds: 20, advanceWhen: "not_delivered" },
    { channel: "sms", timeoutSeconds: 90, advanceWhen: "not_verified" },
  ],
};

/** Rules for a purpose the defaults do not name, from its risk tier. */
export function purposeDefaults(name: string, riskTier: RiskTierName): PurposeRules {
  return {
    riskTier,
    codeLength: 6,
    ttlSeconds: 300,
    maxChecks: 5,
    maxSends: 5,
    resendCooldownSeconds: 30,
    codePerAttempt: false,
    requireTransactionBinding: name === "transaction",
    workflow: riskTier === "high" ? "high_risk" : "default",
    allowedChannels: [],
  };
}

const DEFAULT_PURPOSE_TIERS: Record<string, RiskTierName> = {
  login: "medium",
  signup: "low",
  transaction: "high",
  password_reset: "high",
  change_bank_account: "high",
  change_phone: "high",
};

const HOME_COUNTRIES = ["ID", "PH", "TH", "VN", "MY", "SG"];

/** Refused everywhere by default; toll-free numbers do not receive codes either. */
const ALWAYS_REFUSED: NumberType[] = ["premium", "shared_cost", "toll_free"];

/** Freezes a value and everything in it: policies are shared between requests. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export const DEFAULT_POLICY: TenantPolicy = deepFreeze({
  purposes: Object.fromEntries(
    Object.entries(DEFAULT_PURPOSE_TIERS).map(([name, tier]) => [name, purposeDefaults(name, tier)]),
  ),
  workflows: DEFAULT_WORKFLOWS,
  limits: {
    perPhone: { sendsPerHour: 10, startsPer10Minutes: 5 },
    perTenant: { requestsPerSecond: 200, burst: 400 },
    perClientIp: { startsPerMinute: 20 },
    perDevice: { startsPerMinute: 5 },
    perDestinationPrefix: { prefixDigits: 7, sendsPerMinute: 60 },
    perCountry: { sendsPerMinute: 3000 },
  },
  geo: { allowedCountries: HOME_COUNTRIES },
  fraud: {
    pumpingGuard: {
      enabled: true,
      shadowMode: true,
      windowSeconds: 3600,
      minSends: 20,
      minConversion: 0.2,
      blockDurationSeconds: 3600,
    },
    refusedNumberTypes: {
      whatsapp: ALWAYS_REFUSED,
      sms: [...ALWAYS_REFUSED, "voip"],
      voice: [...ALWAYS_REFUSED, "voip"],
      // Network authentication needs a mobile subscription with a data session.
      silent: [...ALWAYS_REFUSED, "voip", "fixed"],
    },
  },
  incident: { riskTiers: ["low"], extendTtlSeconds: 300, extendResendWindow: true },
  senders: {
    sms: { senderId: "Verify", senderIdByOperator: {}, numericFallback: "" },
    whatsapp: {
      defaultLocale: "en",
      templates: Object.fromEntries(
        [
          ["en", "en_US"],
          ["id", "id"],
          ["ms", "ms"],
          ["th", "th"],
          ["vi", "vi"],
          ["fil", "fil"],
        ].map(([locale, language]) => [locale, { name: "otp_authentication", language }]),
      ) as Record<string, { name: string; language: string }>,
    },
    voice: {
      defaultLocale: "en",
      voices: { en: "en-US", id: "id-ID", ms: "ms-MY", th: "th-TH", vi: "vi-VN", fil: "fil-PH" },
    },
  },
  silent: { gateways: {} },
});
