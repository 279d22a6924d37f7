/**
 * What the routing events mean for the outside world: envelopes to publish and health samples
 * to record. The partition task commits the envelopes with the state they came from; timers are
 * not effects, they follow from the state (partition/routing-task.ts).
 */
import type { Sealed } from "./core/types";
import type { EventBody } from "@platform/events/envelope";
import { envelope } from "@platform/events/envelope";
import type { EventEnvelope } from "@proto/otp/events/v1/events";
import type { RoutingEvent, RoutingState } from "./core/types";
import { observationsOf, type HealthObservation } from "./core/health-observations";
import { channelToProto, fallbackReasonToProto, plannedStepToProto } from "./proto-mapping";

export type Effect =
  { kind: "publish"; envelope: EventEnvelope } | { kind: "observe"; observation: HealthObservation };

/** The effects of events already folded into `state`; `causationId` is the input that caused them. */
/** Makes and seals a new code for an attempt (a policy with a new code per attempt). */
export type MintCode = (verificationId: string, length: number) => Sealed;

export function effectsOf(
  events: readonly RoutingEvent[],
  state: RoutingState,
  causationId: string,
  mintCode?: MintCode,
): Effect[] {
  const id = state.verificationId;
  const publish = (at: number, body: EventBody): Effect => ({
    kind: "publish",
    envelope: envelope({ verificationId: id, tenant: state.tenant, at: new Date(at), causationId }, body),
  });
  const effects: Effect[] = [];
  for (const event of events) {
    switch (event.type) {
      case "RoutePlanned":
        effects.push(
          publish(event.at, {
            $case: "routePlanned",
            value: {
              steps: event.steps.map(plannedStepToProto),
              rule: event.decision.rule,
              reason: event.decision.reason,
            },
          }),
        );
        break;
      case "DispatchRequested":
        effects.push(publish(event.at, dispatchBody(event, state, mintCode)));
        break;
      case "FallbackTriggered":
        effects.push(
          publish(event.at, {
            $case: "fallbackTriggered",
            value: {
              fromAttempt: event.fromAttempt,
              fromChannel: channelToProto(event.fromChannel),
              toAttempt: event.toAttempt,
              toChannel: channelToProto(event.toChannel),
              reason: fallbackReasonToProto(event.reason),
              detail: event.detail,
            },
          }),
        );
        break;
      case "DispatchCancelled":
        effects.push(
          publish(event.at, {
            $case: "dispatchCancelled",
            value: { attempt: event.attempt, channel: channelToProto(event.channel), reason: event.reason },
          }),
        );
        break;
      case "VerificationExpired":
        effects.push(publish(event.at, { $case: "verificationExpired", value: {} }));
        break;
      case "VerificationFailed":
        effects.push(publish(event.at, { $case: "verificationFailed", value: { reason: event.reason } }));
        break;
      case "ReceiptRecorded":
      case "AttemptTimedOut":
      case "ConversionRecorded":
      case "CodeReplaced":
      case "VerificationEnded":
      case "RoutingStopped":
      case "InputApplied":
        break;
    }
    // After the event's envelope: a dispatch is published, then observed as sent.
    for (const observation of observationsOf(event, state)) effects.push({ kind: "observe", observation });
  }
  return effects;
}

function dispatchBody(
  event: Extract<RoutingEvent, { type: "DispatchRequested" }>,
  state: RoutingState,
  mintCode: MintCode | undefined,
): EventBody {
  const facts = state.facts!;
  // A fallback attempt gets its own code when the policy says so; a resend brought its own
  // already. Minted here, the code goes into the saved outbox, so a retry sends the same one.
  const rotate = facts.codePerAttempt && event.attempt > 1 && sameSealed(event.code, facts.code) && mintCode;
  const code = rotate ? mintCode(state.verificationId, facts.codeLength || 6) : event.code;
  return {
    $case: "dispatchRequested",
    value: {
      attempt: event.attempt,
      channel: channelToProto(event.channel),
      route: event.route,
      phone: facts.phone,
      code,
      locale: facts.locale,
      purpose: facts.purpose,
      expiresAt: new Date(facts.expiresAt),
      district: facts.district,
      operator: facts.operator,
      country: facts.country,
      transaction: facts.transaction,
      stepTimeoutSeconds: event.timeoutSeconds,
      maskedPhone: facts.maskedPhone,
      stepIndex: event.stepIndex,
    },
  };
}

function sameSealed(a: Sealed | undefined, b: Sealed | undefined): boolean {
  if (!a || !b) return a === b;
  return a.keyId === b.keyId && Buffer.from(a.ciphertext).equals(Buffer.from(b.ciphertext));
}
