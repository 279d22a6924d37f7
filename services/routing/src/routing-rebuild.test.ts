/**
 * Routing state from the log, on plain data: the envelopes a verification left on the topic,
 * folded through applyEnvelope, give back where its routing stood.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CheckOutcome, FallbackReason, VerificationStarted } from "../../../proto/gen/otp/events/v1/events";
import { Channel, DeliveryStatus, FailureClass, RiskTier } from "../../../proto/gen/otp/v1/common";
import { type EventBody, envelope } from "../../shared/src/events/envelope";
import { DEFAULT_POLICY } from "../../shared/src/policy/defaults";
import { createPolicyBook } from "../../shared/src/policy/policy-book";
import { initialRoutingState } from "./core/routing-evolve";
import type { RoutingState } from "./core/types";
import { applyEnvelope } from "./routing-rebuild";

const T0 = 1_767_225_600_000;
const ID = "ver_rebuild";
const policies = createPolicyBook(DEFAULT_POLICY, {});
const sealed = (tag: string) => ({
  keyId: "k1",
  iv: Buffer.alloc(12),
  ciphertext: Buffer.from(tag),
  tag: Buffer.alloc(16),
});

const at = (seconds: number, body: EventBody) =>
  envelope({ verificationId: ID, tenant: "bank-a", at: new Date(T0 + seconds * 1000) }, body);

const started = at(0, {
  $case: "verificationStarted",
  value: VerificationStarted.fromPartial({
    phone: sealed("phone"),
    code: sealed("code"),
    maskedPhone: "+62812****7890",
    district: "ID-JK-JS",
    operator: "id-telkomsel",
    purpose: "login",
    riskTier: RiskTier.RISK_TIER_MEDIUM,
    locale: "id",
    expiresAt: new Date(T0 + 300_000),
    maxSends: 5,
    numberType: "mobile",
  }),
});

const dispatch = (seconds: number, attempt: number, channel: Channel, stepIndex: number) =>
  at(seconds, {
    $case: "dispatchRequested",
    value: {
      attempt,
      channel,
      route: channel === Channel.CHANNEL_SMS ? "id-telkomsel-direct" : "",
      phone: sealed("phone"),
      code: sealed("code"),
      locale: "id",
      purpose: "login",
      expiresAt: new Date(T0 + 300_000),
      district: "ID-JK-JS",
      operator: "id-telkomsel",
      country: "ID",
      transaction: undefined,
      stepTimeoutSeconds: 20,
      maskedPhone: "+62812****7890",
      stepIndex,
    },
  });

function fold(envelopes: ReturnType<typeof at>[]): RoutingState {
  return envelopes.reduce(
    (state, env) => applyEnvelope(state, env, policies),
    initialRoutingState(ID, "bank-a"),
  );
}

describe("routing state rebuilt from the log", () => {
  const timedOut = at(20, {
    $case: "fallbackTriggered",
    value: {
      fromAttempt: 1,
      fromChannel: Channel.CHANNEL_WHATSAPP,
      toAttempt: 2,
      toChannel: Channel.CHANNEL_SMS,
      reason: FallbackReason.FALLBACK_REASON_TIMEOUT,
      detail: "",
    },
  });
  const smsDelivered = at(24, {
    $case: "deliveryReported",
    value: {
      attempt: 2,
      channel: Channel.CHANNEL_SMS,
      route: "id-telkomsel-direct",
      status: DeliveryStatus.DELIVERY_STATUS_DELIVERED,
      failureClass: FailureClass.FAILURE_CLASS_UNSPECIFIED,
      reason: "",
      providerTime: undefined,
      providerSubmitDate: "",
      providerDoneDate: "",
      providerMessageId: "",
      district: "ID-JK-JS",
      operator: "id-telkomsel",
    },
  });
  const history = [
    started,
    dispatch(0, 1, Channel.CHANNEL_WHATSAPP, 0),
    timedOut,
    dispatch(20, 2, Channel.CHANNEL_SMS, 1),
    smsDelivered,
  ];

  test("the current attempt, each attempt's outcome and due time, the facts and the plan", () => {
    const state = fold(history);
    assert.equal(state.status, "active");
    assert.equal(state.currentAttempt, 2);
    assert.deepEqual(
      state.attempts.map((a) => [a.attempt, a.channel, a.stepIndex, a.outcome, a.dueAt - T0]),
      [
        [1, "whatsapp", 0, "timed_out", 20_000],
        [2, "sms", 1, "delivered", 40_000],
      ],
    );
    assert.equal(state.attempts[1]?.advanceWhen, state.steps[1]?.advanceWhen);
    assert.equal(state.facts?.expiresAt, T0 + 300_000);
    assert.deepEqual(
      state.steps.map((s) => s.channel),
      ["whatsapp", "sms", "voice"],
    );
    assert.ok(state.appliedInputs.includes(smsDelivered.eventId), "inputs are remembered as applied");
  });

  test("a redelivered receipt changes nothing; an outcome on the log ends the verification", () => {
    assert.deepEqual(fold([...history, smsDelivered]), fold(history));
    const verified = at(30, {
      $case: "codeChecked",
      value: { outcome: CheckOutcome.CHECK_OUTCOME_VERIFIED, checksUsed: 1, matchedAttempt: 2 },
    });
    assert.equal(fold([...history, verified]).status, "verified");
    assert.equal(fold([...history, at(301, { $case: "verificationExpired", value: {} })]).status, "expired");
  });
});
