/**
 * A tenant's policy: what each purpose allows (code, lifetime, attempts), how codes travel
 * (workflows of channels), rate limits, fraud rules, incident relief and sender identities.
 * Plain data; validate.ts turns untrusted JSON into it, with defaults from defaults.ts.
 */
import type { NumberType } from "../numbering/types";

export const RISK_TIERS = ["low", "medium", "high"] as const;
export type RiskTierName = (typeof RISK_TIERS)[number];

/**
 * `silent` is network authentication (CAMARA Number Verification): no code travels, the operator
 * confirms the number over the device's mobile data. It can only be a workflow's first step.
 */
export const CHANNELS = ["whatsapp", "sms", "voice", "silent"] as const;
export type ChannelName = (typeof CHANNELS)[number];

/**
 * When a step hands over to the next: `not_delivered` when no delivery receipt arrived within
 * the step's timeout (or the channel failed), `not_verified` when the code was not checked.
 */
export const ADVANCE_CONDITIONS = ["not_delivered", "not_verified"] as const;
export type AdvanceCondition = (typeof ADVANCE_CONDITIONS)[number];

export interface WorkflowStep {
  channel: ChannelName;
  /** A named route (SMPP bind group, WhatsApp number, voice provider); routing picks if absent. */
  route?: string;
  timeoutSeconds: number;
  advanceWhen: AdvanceCondition;
}

export interface PurposeRules {
  riskTier: RiskTierName;
  codeLength: number;
  ttlSeconds: number;
  /** Wrong codes allowed before the verification locks. */
  maxChecks: number;
  /** Messages or calls per verification, fallbacks and resends included. */
  maxSends: number;
  resendCooldownSeconds: number;
  /** A new code per send (every one still valid is accepted) rather than one code for all. */
  codePerAttempt: boolean;
  /** The code is bound to amount + payee (PSD2 RTS Art. 5); a check must present the same. */
  requireTransactionBinding: boolean;
  workflow: string;
  /**
   * The channel class the purpose may rely on (e.g. ["silent", "voice"] for high-risk payments
   * that must never rely on SMS or WhatsApp codes); empty for every channel of the workflow.
   * Channels outside it are dropped from the plan, and a start none of them can serve is refused.
   */
  allowedChannels: ChannelName[];
}

/**
 * One operator's Open Gateway client registration for CAMARA Number Verification. The client
 * secret is sealed (see services/shared/src/platform/silent/gateway-secret.ts); only the silent connector
 * opens it.
 */
export interface SilentGateway {
  /** Numbering-plan operator ids this gateway answers for ("id-telkomsel"). */
  operators: string[];
  /** OIDC authorization endpoint the device opens over mobile data. */
  authorizeUrl: string;
  /** OAuth 2.0 token endpoint (authorization_code grant, client_secret_basic, PKCE). */
  tokenUrl: string;
  /** `POST …/number-verification/v…/verify`. */
  verifyUrl: string;
  clientId: string;
  /** `sealed:<keyId>:<base64url iv.ciphertext.tag>`. */
  clientSecret: string;
  /** The redirect URI registered with the operator: the silent connector's callback. */
  redirectUri: string;
  /** Send hashedPhoneNumber (SHA-256 of the E.164 number) rather than phoneNumber. */
  hashPhoneNumber: boolean;
}

export interface SilentSettings {
  /** By gateway name. A number whose operator none of them lists skips the silent step. */
  gateways: Record<string, SilentGateway>;
}

export interface RateLimits {
  perPhone: { sendsPerHour: number; startsPer10Minutes: number };
  perTenant: { requestsPerSecond: number; burst: number };
  perClientIp: { startsPerMinute: number };
  perDevice: { startsPerMinute: number };
  /** Sends to numbers sharing their first `prefixDigits` digits (country code included). */
  perDestinationPrefix: { prefixDigits: number; sendsPerMinute: number };
  perCountry: { sendsPerMinute: number };
}

export interface GeoPermissions {
  /** ISO 3166-1 alpha-2 codes numbers may belong to. */
  allowedCountries: string[];
}

/**
 * SMS pumping guard: a destination prefix whose conversion (verified ÷ sent) collapses is
 * blocked for a while. In shadow mode it only reports, so a tenant can tune it on real traffic.
 */
export interface PumpingGuard {
  enabled: boolean;
  shadowMode: boolean;
  windowSeconds: number;
  /** Sends to a prefix in the window before its conversion is judged. */
  minSends: number;
  /** 0..1; below this the prefix is blocked. */
  minConversion: number;
  blockDurationSeconds: number;
}

export interface FraudRules {
  pumpingGuard: PumpingGuard;
  /** Number types each channel refuses to send to. */
  refusedNumberTypes: Record<ChannelName, NumberType[]>;
}

/**
 * Relief while an incident is declared (a carrier delays SMS by many minutes): longer-lived
 * codes for the listed risk tiers only. High-risk purposes never loosen.
 */
export interface IncidentRelief {
  riskTiers: RiskTierName[];
  /** Added to the code's lifetime, never beyond the 600 s maximum. */
  extendTtlSeconds: number;
  /** Resends stay allowed for the whole extended lifetime (else only for the normal one). */
  extendResendWindow: boolean;
}

export interface WhatsAppTemplate {
  /** Name of the approved AUTHENTICATION template. */
  name: string;
  /** Template language code, e.g. "en_US", "id". */
  language: string;
}

export interface Senders {
  sms: {
    /** Alphanumeric sender id (TON 5), at most 11 characters. */
    senderId: string;
    /** Operators that registered a different sender id for this tenant. */
    senderIdByOperator: Record<string, string>;
    /** Numeric sender used where an operator rejects alphanumeric ones ("" for none). */
    numericFallback: string;
  };
  whatsapp: { defaultLocale: string; templates: Record<string, WhatsAppTemplate> };
  voice: { defaultLocale: string; voices: Record<string, string> };
}

export interface TenantPolicy {
  purposes: Record<string, PurposeRules>;
  workflows: Record<string, WorkflowStep[]>;
  limits: RateLimits;
  geo: GeoPermissions;
  fraud: FraudRules;
  incident: IncidentRelief;
  senders: Senders;
  silent: SilentSettings;
}
