/**
 * Lifecycle events on the verifications topic → routing commands. Routing's own events
 * (RoutePlanned, DispatchRequested, …) come back on the same topic and are ignored here: the
 * routing state already holds them.
 */
import { CheckOutcome, type EventEnvelope } from "@proto/otp/events/v1/events";
import type { PolicyBook } from "@domain/policy/policy-book";
import { purposeDefaults } from "@domain/policy/defaults";
import type { TenantPolicy, WorkflowStep } from "@domain/policy/types";
import type { RoutingCommand, VerificationFacts, Workflow } from "./core/types";
import {
  failureClassFromProto,
  optionalChannel,
  receiptStatusFromProto,
  riskTierFromProto,
} from "./proto-mapping";
import type { EventType } from "@platform/bus/codec";

/** The events commandFromEnvelope turns into commands. */
export const ROUTING_INPUTS: EventType[] = [
  "verificationStarted",
  "deliveryReported",
  "resendRequested",
  "codeChecked",
  "verificationCancelled",
  "verificationLocked",
  "verificationOverridden",
  "networkVerificationReported",
];

export function commandFromEnvelope(env: EventEnvelope, policies: PolicyBook): RoutingCommand | undefined {
  const inputId = env.eventId;
  const at = env.occurredAt?.getTime() ?? 0;
  switch (env.event?.$case) {
    case "verificationStarted": {
      const started = env.event.value;
      const facts: VerificationFacts = {
        purpose: started.purpose,
        riskTier: riskTierFromProto(started.riskTier),
        district: started.district,
        operator: started.operator,
        country: started.country,
        locale: started.locale,
        maskedPhone: started.maskedPhone,
        channelPreference: optionalChannel(started.channelPreference),
        phone: started.phone,
        code: started.code,
        transaction: started.transaction,
        expiresAt: started.expiresAt?.getTime() ?? 0,
        maxSends: started.maxSends,
        codePerAttempt: started.codePerAttempt,
        codeLength: started.codeLength,
      };
      const workflow = workflowFor(
        policies.policyFor(env.tenant),
        facts.purpose,
        facts.riskTier,
        started.numberType,
        { gateway: started.silentGateway, skipped: started.silentSkippedReason },
      );
      return { type: "Start", inputId, tenant: env.tenant, facts, workflow };
    }
    case "deliveryReported": {
      const r = env.event.value;
      return {
        type: "RecordReceipt",
        inputId,
        receipt: {
          attempt: r.attempt,
          channel: optionalChannel(r.channel),
          status: receiptStatusFromProto(r.status),
          failureClass: failureClassFromProto(r.failureClass),
          reason: r.reason,
          at: r.providerTime?.getTime() || at,
        },
      };
    }
    case "resendRequested": {
      const r = env.event.value;
      return {
        type: "Resend",
        inputId,
        channel: optionalChannel(r.channel),
        newCode: r.newCode,
        expiresAt: r.expiresAt?.getTime(),
      };
    }
    case "codeChecked": {
      const checked = env.event.value;
      const outcome = finishOutcomeOf(checked.outcome);
      return outcome
        ? { type: "Finish", inputId, outcome, matchedAttempt: checked.matchedAttempt || undefined }
        : undefined;
    }
    case "verificationCancelled":
      return { type: "Finish", inputId, outcome: "cancelled" };
    case "verificationLocked":
      return { type: "Finish", inputId, outcome: "locked" };
    case "verificationOverridden":
      return { type: "Finish", inputId, outcome: "overridden" };
    case "networkVerificationReported": {
      const r = env.event.value;
      return { type: "NetworkResult", inputId, verified: r.verified, reason: r.reason, at };
    }
    // Routing's own events, and events routing has no part in.
    case "routePlanned":
    case "dispatchRequested":
    case "dispatchCancelled":
    case "fallbackTriggered":
    case "verificationExpired":
    case "verificationFailed":
    case "incidentDeclared":
    case "incidentResolved":
    case "channelHealthChanged":
    case "handoffRequested":
    case "supportMessageReceived":
    case undefined:
      return undefined;
  }
}

function finishOutcomeOf(outcome: CheckOutcome): "verified" | "locked" | "cancelled" | undefined {
  switch (outcome) {
    case CheckOutcome.CHECK_OUTCOME_VERIFIED:
      return "verified";
    case CheckOutcome.CHECK_OUTCOME_LOCKED:
      return "locked";
    case CheckOutcome.CHECK_OUTCOME_CANCELLED:
      return "cancelled";
    // Wrong codes change nothing for routing; expiry is routing's own timer.
    case CheckOutcome.CHECK_OUTCOME_WRONG_CODE:
    case CheckOutcome.CHECK_OUTCOME_BINDING_MISMATCH:
    case CheckOutcome.CHECK_OUTCOME_EXPIRED:
    case CheckOutcome.CHECK_OUTCOME_FAILED:
    case CheckOutcome.CHECK_OUTCOME_ALREADY_USED:
    case CheckOutcome.CHECK_OUTCOME_UNSPECIFIED:
      return undefined;
  }
  return undefined; // a value from a newer schema
}

/**
 * The purpose's workflow, without the channels the tenant refuses for the number's type
 * (premium, VoIP… from the numbering plan). A purpose the policy no longer names (the file
 * changed since the start) gets the default workflow of its risk tier rather than none.
 */
export function workflowFor(
  policy: TenantPolicy,
  purpose: string,
  riskTier: string,
  numberType = "",
  silent: { gateway: string; skipped: string } = { gateway: "", skipped: "" },
): Workflow {
  const rules = Object.hasOwn(policy.purposes, purpose) ? policy.purposes[purpose] : undefined;
  const tier = riskTier === "low" || riskTier === "high" ? riskTier : "medium";
  const name = rules?.workflow ?? purposeDefaults(purpose, tier).workflow;
  const steps =
    (Object.hasOwn(policy.workflows, name) ? policy.workflows[name] : undefined) ??
    policy.workflows.default ??
    [];
  const refused = (channel: WorkflowStep["channel"]) =>
    numberType !== "" && (policy.fraud.refusedNumberTypes[channel] as readonly string[]).includes(numberType);
  const refusedChannels = [...new Set(steps.map((s) => s.channel).filter(refused))];
  // The purpose's channel class: a high-risk payment may rely on silent and voice, never on codes
  // sent by SMS or WhatsApp.
  const allowed = rules?.allowedChannels ?? [];
  const disallowed = (channel: WorkflowStep["channel"]) => allowed.length > 0 && !allowed.includes(channel);
  const notAllowed = [...new Set(steps.map((s) => s.channel).filter(disallowed))];
  // Issuance decided whether the silent step can run (mobile data, an operator gateway).
  const silentOff = (channel: WorkflowStep["channel"]) => channel === "silent" && silent.gateway === "";
  const silentNote =
    steps.some((s) => silentOff(s.channel)) && !refused("silent") && !disallowed("silent")
      ? [`silent not tried: ${silent.skipped || "no operator gateway for this number"}`]
      : [];
  return {
    name,
    steps: steps
      .filter((s) => !refused(s.channel) && !disallowed(s.channel) && !silentOff(s.channel))
      .map((s) => ({
        channel: s.channel,
        ...(s.channel === "silent" ? { route: silent.gateway } : s.route ? { route: s.route } : {}),
        timeoutSeconds: s.timeoutSeconds,
        advanceWhen: s.advanceWhen,
      })),
    notes: [
      ...(refusedChannels.length > 0
        ? [`${refusedChannels.join(", ")} refused for ${numberType} numbers by the tenant's policy`]
        : []),
      ...(notAllowed.length > 0 ? [`purpose ${purpose} may not rely on ${notAllowed.join(", ")}`] : []),
      ...silentNote,
    ],
  };
}
