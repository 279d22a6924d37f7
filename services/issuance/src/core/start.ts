/**
 * What a start decides, from plain data: the request (validated), the tenant's policy and the
 * facts the handler loaded (the number's classification, whether an incident is declared). No
 * clock, no randomness, no store: the time, the new code and the sealing come in from the caller,
 * so the same inputs always decide the same way.
 *
 * A start is decided in two halves around the limits script: `decideStart` screens the request
 * and says what the verification's rules are (or refuses it); once the limits admitted it,
 * `startedEvent` builds the VerificationStarted it becomes.
 */
import type { EncryptedValue, EventEnvelope } from "@proto/otp/events/v1/events";
import { OtpError, invalidArgument, isOtpError } from "@domain/errors";
import type { NumberType } from "@domain/numbering";
import {
  effectivePurposeRules,
  resolveLocale,
  riskTierToProto,
  type ChannelName,
  type EffectivePurposeRules,
  type SilentGateway,
  type TenantPolicy,
} from "@domain/policy";
import { maskPhone } from "@domain/privacy";
import { servableChannels, type ServeDecision } from "@domain/silent/eligibility";
import type { StartInput } from "../start-request";

export type EventBody = NonNullable<EventEnvelope["event"]>;

/** What the handler knows about the number and the district before deciding. */
export interface StartFacts {
  number: { country: string; type: NumberType; operator: string };
  incidentActive: boolean;
}

export interface StartPlan {
  kind: "plan";
  rules: EffectivePurposeRules;
  serve: ServeDecision;
  /** How long the verification lives; also the active-verification claim's lifetime. */
  ttlMs: number;
}

export interface StartRefusal {
  kind: "refused";
  error: OtpError;
  /**
   * Whether the refused request still counts toward the tenant's request rate (which then
   * answers first when exceeded): every refusal after the purpose is known does.
   */
  countsRequest: boolean;
}

/** Who may receive a code at all: the tenant's countries and the workflow's number types. */
export function destinationRefusal(
  policy: TenantPolicy,
  country: string,
  type: NumberType,
  workflow: readonly ChannelName[],
): OtpError | undefined {
  if (!policy.geo.allowedCountries.includes(country)) {
    return new OtpError(
      "OTP_DESTINATION_BLOCKED",
      `destination country ${country} is not enabled for this tenant`,
    );
  }
  const refusedEverywhere = workflow.every((ch) => policy.fraud.refusedNumberTypes[ch].includes(type));
  if (refusedEverywhere) {
    return new OtpError("OTP_DESTINATION_BLOCKED", `numbers of type ${type} cannot receive codes`);
  }
  return undefined;
}

/** No channel the purpose allows can serve the request: each reason names its request field. */
function noAllowedChannel(purpose: string, serve: ServeDecision): OtpError {
  const violations = serve.refused.map(({ field, description }) => ({ field, description }));
  return new OtpError(
    "OTP_NO_ALLOWED_CHANNEL",
    `no channel allowed for purpose ${purpose} can serve this request: ${violations.map((v) => `${v.field}: ${v.description}`).join("; ")}`,
    { violations },
  );
}

/**
 * The screen, in the order its refusals answer: an unknown purpose (not counted), a purpose
 * that needs a transaction binding without one, a destination the tenant does not serve, and
 * no channel the purpose allows that can serve this number and device.
 */
export function decideStart(
  input: StartInput,
  policy: TenantPolicy,
  facts: StartFacts,
): StartPlan | StartRefusal {
  let rules: EffectivePurposeRules;
  try {
    rules = effectivePurposeRules(policy, input.purpose, { incidentActive: facts.incidentActive });
  } catch (err) {
    if (isOtpError(err)) return { kind: "refused", error: err, countsRequest: false };
    throw err;
  }
  const refused = (error: OtpError): StartRefusal => ({ kind: "refused", error, countsRequest: true });
  if (rules.requireTransactionBinding && !input.transaction) {
    return refused(
      invalidArgument("transaction", `purpose ${input.purpose} requires amount, currency and payee`),
    );
  }
  const workflow = (policy.workflows[rules.workflow] ?? []).map((s) => s.channel);
  const blocked = destinationRefusal(policy, facts.number.country, facts.number.type, workflow);
  if (blocked) return refused(blocked);
  const serve = servableChannels({
    policy,
    rules,
    purpose: input.purpose,
    operator: facts.number.operator,
    numberType: facts.number.type,
    mobileData: input.mobileData,
  });
  if (serve.channels.length === 0) return refused(noAllowedChannel(input.purpose, serve));
  return { kind: "plan", rules, serve, ttlMs: rules.ttlSeconds * 1000 };
}

export interface SilentOffer {
  gateway: { name: string; gateway: SilentGateway };
  /** When the silent step gives way to the next one (never after the verification expires). */
  stepDeadline: number;
  expiresAt: number;
}

/** The silent step to open, when the workflow starts with one that can run for this request. */
export function silentOffer(policy: TenantPolicy, plan: StartPlan, at: number): SilentOffer | undefined {
  const step = policy.workflows[plan.rules.workflow]?.[0];
  const gateway = plan.serve.silent;
  if (!gateway || step?.channel !== "silent") return undefined;
  const expiresAt = at + plan.ttlMs;
  return { gateway, stepDeadline: Math.min(expiresAt, at + step.timeoutSeconds * 1000), expiresAt };
}

/** What the handler made for the new verification: values that need keys, randomness or a clock. */
export interface StartMade {
  at: number;
  /** Seals a value for this verification (AES-GCM with the verification id in the AAD). */
  seal(value: string, field: "phone" | "code" | "transaction"): EncryptedValue;
  /** A fresh code of the given length. */
  newCode(length: number): string;
  /** Keyed hashes of the idempotency key and of its parameters ("" without a key). */
  idempotencyKeyHash: string;
  idempotencyFingerprint: string;
  /** Set when the silent step was opened (its gateway's name). */
  silentGateway?: string;
}

/** The VerificationStarted a screened and admitted start becomes. */
export function startedEvent(
  input: StartInput,
  policy: TenantPolicy,
  facts: StartFacts,
  plan: StartPlan,
  made: StartMade,
): { body: EventBody; expiresAt: number } {
  const { rules } = plan;
  const expiresAt = made.at + plan.ttlMs;
  const body: EventBody = {
    $case: "verificationStarted",
    value: {
      phone: made.seal(input.phone.e164, "phone"),
      maskedPhone: maskPhone(input.phone.e164),
      country: facts.number.country,
      operator: facts.number.operator,
      district: input.district,
      purpose: input.purpose,
      riskTier: riskTierToProto(rules.riskTier),
      locale: resolveLocale(policy, input.locale),
      channelPreference: input.channelPreference,
      code: made.seal(made.newCode(rules.codeLength), "code"),
      codeLength: rules.codeLength,
      expiresAt: new Date(expiresAt),
      maxChecks: rules.maxChecks,
      maxSends: rules.maxSends,
      codePerAttempt: rules.codePerAttempt,
      transaction: input.transaction
        ? made.seal(JSON.stringify(input.transaction), "transaction")
        : undefined,
      hasTransactionBinding: input.transaction !== undefined,
      idempotencyKeyHash: made.idempotencyKeyHash,
      idempotencyFingerprint: made.idempotencyFingerprint,
      resendCooldownSeconds: rules.resendCooldownSeconds,
      numberType: facts.number.type,
      resendUntil: new Date(Math.min(expiresAt, made.at + rules.resendWindowSeconds * 1000)),
      silentGateway: made.silentGateway ?? "",
      silentSkippedReason: made.silentGateway ? "" : plan.serve.silentSkipped,
    },
  };
  return { body, expiresAt };
}
