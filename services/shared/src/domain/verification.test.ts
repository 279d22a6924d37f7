import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CheckOutcome, type EventEnvelope } from "@proto/otp/events/v1/events";
import { Channel, DeliveryStatus, FailureClass, RiskTier } from "@proto/otp/v1/common";
import {
  decideCheck,
  decideOverride,
  decideResend,
  type CheckInput,
  type CheckSubject,
} from "./verification-decide";
import { evolve, initialState, type VerificationState } from "./verification";

const T0 = Date.parse("2026-11-22T08:00:00Z");
const sealed = {
  keyId: "k1",
  iv: Buffer.alloc(12),
  ciphertext: Buffer.alloc(6),
  tag: Buffer.alloc(16),
};
let seq = 0;
const env = (event: EventEnvelope["event"], atMs: number, id = `e${++seq}`): EventEnvelope => ({
  eventId: id,
  verificationId: "v1",
  tenant: "acme",
  occurredAt: new Date(atMs),
  schemaVersion: 1,
  causationId: "",
  event,
});

const startedEvent = (overrides: Partial<{ riskTier: RiskTier; maxChecks: number }> = {}) =>
  env(
    {
      $case: "verificationStarted",
      value: {
        phone: sealed,
        maskedPhone: "+62812****5678",
        country: "ID",
        operator: "telkomsel",
        district: "ID-JK-JKS",
        purpose: "login",
        riskTier: overrides.riskTier ?? RiskTier.RISK_TIER_MEDIUM,
        locale: "id",
        channelPreference: Channel.CHANNEL_UNSPECIFIED,
        code: sealed,
        codeLength: 6,
        expiresAt: new Date(T0 + 300_000),
        maxChecks: overrides.maxChecks ?? 5,
        maxSends: 3,
        codePerAttempt: false,
        transaction: undefined,
        hasTransactionBinding: false,
        idempotencyKeyHash: "",
        idempotencyFingerprint: "",
        resendCooldownSeconds: 30,
        numberType: "mobile",
        resendUntil: undefined,
        silentGateway: "",
        silentSkippedReason: "",
      },
    },
    T0,
  );

const dispatch = (attempt: number, channel: Channel, at: number) =>
  env(
    {
      $case: "dispatchRequested",
      value: {
        attempt,
        channel,
        route: channel === Channel.CHANNEL_SMS ? "telkomsel-direct" : "wa-primary",
        phone: sealed,
        code: sealed,
        locale: "id",
        purpose: "login",
        expiresAt: new Date(T0 + 300_000),
        district: "ID-JK-JKS",
        operator: "telkomsel",
        country: "ID",
        transaction: undefined,
        stepTimeoutSeconds: 20,
        maskedPhone: "+62812****5678",
        stepIndex: 0,
      },
    },
    at,
  );

const receipt = (attempt: number, status: DeliveryStatus, at: number) =>
  env(
    {
      $case: "deliveryReported",
      value: {
        attempt,
        channel: Channel.CHANNEL_WHATSAPP,
        route: "",
        status,
        failureClass:
          status === DeliveryStatus.DELIVERY_STATUS_FAILED
            ? FailureClass.FAILURE_CLASS_PERMANENT
            : FailureClass.FAILURE_CLASS_UNSPECIFIED,
        reason: status === DeliveryStatus.DELIVERY_STATUS_FAILED ? "WHATSAPP_131026" : "",
        providerMessageId: "wamid.1",
        district: "ID-JK-JKS",
        operator: "",
        providerTime: undefined,
        providerSubmitDate: "",
        providerDoneDate: "",
      },
    },
    at,
  );

const eventValue = (e: EventEnvelope) => {
  if (e.event?.$case !== "verificationStarted") throw new Error("not a start");
  return e.event.value;
};

const fold = (events: EventEnvelope[]): VerificationState =>
  events.reduce(evolve, initialState("v1", "acme"));

describe("verification evolve", () => {
  it("given a start and a dispatch, it is pending with one send", () => {
    const s = fold([startedEvent(), dispatch(1, Channel.CHANNEL_WHATSAPP, T0 + 5)]);
    assert.equal(s.status, "pending");
    assert.equal(s.sendsUsed, 1);
    assert.equal(s.lastSendAt, T0 + 5);
    assert.equal(s.attempts[0]!.status, DeliveryStatus.DELIVERY_STATUS_QUEUED);
    assert.equal(s.expiresAt, T0 + 300_000);
  });

  it("moves an attempt forward only, and a delivered attempt makes the verification delivered", () => {
    const s = fold([
      startedEvent(),
      dispatch(1, Channel.CHANNEL_WHATSAPP, T0),
      receipt(1, DeliveryStatus.DELIVERY_STATUS_DELIVERED, T0 + 900),
      receipt(1, DeliveryStatus.DELIVERY_STATUS_SENT, T0 + 1000),
      receipt(1, DeliveryStatus.DELIVERY_STATUS_FAILED, T0 + 1100),
    ]);
    assert.equal(s.status, "delivered");
    assert.equal(s.attempts[0]!.status, DeliveryStatus.DELIVERY_STATUS_DELIVERED);
    assert.equal(s.attempts[0]!.deliveredAt, T0 + 900);
  });

  it("never puts a delivery before its request, whatever time the provider gives", () => {
    const early = receipt(1, DeliveryStatus.DELIVERY_STATUS_DELIVERED, T0 + 900);
    if (early.event?.$case === "deliveryReported") early.event.value.providerTime = new Date(T0 - 60_000);
    const s = fold([startedEvent(), dispatch(1, Channel.CHANNEL_WHATSAPP, T0), early]);
    assert.equal(s.attempts[0]!.deliveredAt, T0);
  });

  it("records a hard failure with its reason", () => {
    const s = fold([
      startedEvent(),
      dispatch(1, Channel.CHANNEL_WHATSAPP, T0),
      receipt(1, DeliveryStatus.DELIVERY_STATUS_FAILED, T0 + 50),
    ]);
    assert.equal(s.attempts[0]!.failureClass, FailureClass.FAILURE_CLASS_PERMANENT);
    assert.equal(s.attempts[0]!.reason, "WHATSAPP_131026");
    assert.equal(s.status, "pending");
  });

  it("keeps every attempt's code when the policy rotates codes, and only new ones", () => {
    const rotating = env(
      { $case: "verificationStarted", value: { ...eventValue(startedEvent()), codePerAttempt: true } },
      T0,
    );
    const fresh = { ...sealed, ciphertext: Buffer.from([1, 2, 3, 4, 5, 6]) };
    const second = dispatch(2, Channel.CHANNEL_SMS, T0 + 20);
    if (second.event?.$case === "dispatchRequested") second.event.value.code = fresh;
    const s = fold([rotating, dispatch(1, Channel.CHANNEL_WHATSAPP, T0), second]);
    assert.deepEqual(
      s.codes.map((c) => c.attempt),
      [0, 2],
    );
    const oneCode = fold([startedEvent(), dispatch(1, Channel.CHANNEL_WHATSAPP, T0), second]);
    assert.equal(oneCode.codes.length, 1, "without rotation a dispatch adds no code");
  });

  it("applies a replayed event once", () => {
    const d = dispatch(1, Channel.CHANNEL_SMS, T0);
    const s = fold([startedEvent(), d, d]);
    assert.equal(s.sendsUsed, 1);
  });

  it("locks after the last allowed wrong code and stays verified once verified", () => {
    const wrong = (n: number) =>
      env(
        {
          $case: "codeChecked",
          value: { outcome: CheckOutcome.CHECK_OUTCOME_WRONG_CODE, checksUsed: n, matchedAttempt: 0 },
        },
        T0 + n,
      );
    assert.equal(fold([startedEvent({ maxChecks: 3 }), wrong(1), wrong(2)]).status, "pending");
    assert.equal(fold([startedEvent({ maxChecks: 3 }), wrong(1), wrong(2), wrong(3)]).status, "locked");
    const ok = env(
      {
        $case: "codeChecked",
        value: { outcome: CheckOutcome.CHECK_OUTCOME_VERIFIED, checksUsed: 1, matchedAttempt: 0 },
      },
      T0,
    );
    const cancelled = env({ $case: "verificationCancelled", value: { reason: "x", by: "acme" } }, T0 + 1);
    assert.equal(fold([startedEvent(), ok, cancelled]).status, "verified");
  });
});

describe("decideCheck", () => {
  const subject = (over: Partial<CheckSubject> = {}): CheckSubject => ({
    status: "pending",
    expiresAt: T0 + 1000,
    checksUsed: 0,
    maxChecks: 3,
    bindingDigest: "",
    codeLength: 6,
    codes: [{ attempt: 0, hash: "H", expiresAt: T0 + 1000 }],
    ...over,
  });
  const input = (over: Partial<CheckInput> = {}): CheckInput => ({
    now: T0,
    candidateHashes: ["H"],
    candidateBinding: "",
    candidateLength: 6,
    ...over,
  });
  const outcome = (d: ReturnType<typeof decideCheck>) => (d.kind === "decided" ? d.outcome : "missing");

  it("fails closed when the state is missing", () => {
    assert.equal(outcome(decideCheck(undefined, input())), "missing");
  });

  it("verifies the right code and counts the check", () => {
    const d = decideCheck(subject(), input());
    assert.deepEqual(d, {
      kind: "decided",
      outcome: CheckOutcome.CHECK_OUTCOME_VERIFIED,
      checksUsed: 1,
      matchedAttempt: 0,
      lockedNow: false,
    });
  });

  it("rejects a used, cancelled, locked or expired verification even with the right code", () => {
    assert.equal(
      outcome(decideCheck(subject({ status: "verified" }), input())),
      CheckOutcome.CHECK_OUTCOME_ALREADY_USED,
    );
    assert.equal(
      outcome(decideCheck(subject({ status: "cancelled" }), input())),
      CheckOutcome.CHECK_OUTCOME_CANCELLED,
    );
    assert.equal(
      outcome(decideCheck(subject({ status: "failed" }), input())),
      CheckOutcome.CHECK_OUTCOME_FAILED,
      "a verification no channel could deliver is failed, not cancelled",
    );
    assert.equal(
      outcome(decideCheck(subject({ checksUsed: 3 }), input())),
      CheckOutcome.CHECK_OUTCOME_LOCKED,
    );
    assert.equal(
      outcome(decideCheck(subject(), input({ now: T0 + 1000 }))),
      CheckOutcome.CHECK_OUTCOME_EXPIRED,
    );
  });

  it("locks on the last wrong code and tells binding mismatches apart for the audit trail", () => {
    const last = decideCheck(subject({ checksUsed: 2 }), input({ candidateHashes: ["X"] }));
    assert.equal(last.kind === "decided" && last.lockedNow, true);
    assert.equal(
      outcome(decideCheck(subject({ bindingDigest: "B" }), input())),
      CheckOutcome.CHECK_OUTCOME_BINDING_MISMATCH,
    );
  });

  it("refuses a code of the wrong length before anything counts, naming the expected length", () => {
    assert.deepEqual(decideCheck(subject({ checksUsed: 2 }), input({ candidateLength: 5 })), {
      kind: "wrong-length",
      expectedLength: 6,
    });
    assert.equal(outcome(decideCheck(subject({ codeLength: 0 }), input({ candidateLength: 5 }))), 1);
  });

  it("accepts only the two newest codes when codes rotate per attempt", () => {
    const codes = [
      { attempt: 0, hash: "FIRST", expiresAt: T0 + 1000 },
      { attempt: 1, hash: "WHATSAPP", expiresAt: T0 + 1000 },
      { attempt: 2, hash: "SMS", expiresAt: T0 + 1000 },
    ];
    const matched = (hash: string) => {
      const d = decideCheck(subject({ codes }), input({ candidateHashes: [hash] }));
      return d.kind === "decided" && d.outcome === CheckOutcome.CHECK_OUTCOME_VERIFIED
        ? d.matchedAttempt
        : -1;
    };
    assert.equal(matched("SMS"), 2);
    assert.equal(matched("WHATSAPP"), 1, "the late WhatsApp code after an SMS fallback");
    assert.equal(matched("FIRST"), -1, "a third-newest code is no longer valid");
  });

  it("accepts an older code still within its own life when codes rotate per attempt", () => {
    const codes = [
      { attempt: 0, hash: "OLD", expiresAt: T0 + 500 },
      { attempt: 2, hash: "NEW", expiresAt: T0 + 1000 },
    ];
    const d = decideCheck(subject({ codes }), input({ candidateHashes: ["OLD"] }));
    assert.equal(d.kind === "decided" && d.matchedAttempt, 0);
    assert.equal(
      outcome(decideCheck(subject({ codes }), input({ candidateHashes: ["OLD"], now: T0 + 600 }))),
      CheckOutcome.CHECK_OUTCOME_WRONG_CODE,
    );
  });
});

describe("decideResend and decideOverride", () => {
  const live = fold([startedEvent(), dispatch(1, Channel.CHANNEL_WHATSAPP, T0)]);

  it("waits out the cooldown with a retry delay, then allows up to the send cap", () => {
    const early = decideResend(live, Channel.CHANNEL_SMS, T0 + 10_000);
    assert.deepEqual(early, {
      ok: false,
      code: "OTP_RATE_LIMITED",
      reason: "resend cooldown",
      retryAfterMs: 20_000,
    });
    assert.deepEqual(decideResend(live, Channel.CHANNEL_SMS, T0 + 30_000), {
      ok: true,
      channel: Channel.CHANNEL_SMS,
    });
    const capped = fold([startedEvent(), dispatch(1, 1, T0), dispatch(2, 2, T0), dispatch(3, 3, T0)]);
    assert.equal(decideResend(capped, Channel.CHANNEL_SMS, T0 + 60_000).ok, false);
  });

  it("needs two different agents and refuses high-risk purposes", () => {
    const cmd = { agent: "alice", approver: "bob", reason: "customer verified by video call" };
    assert.deepEqual(decideOverride(live, cmd), { ok: true });
    assert.equal(decideOverride(live, { ...cmd, approver: "alice" }).ok, false);
    const high = fold([startedEvent({ riskTier: RiskTier.RISK_TIER_HIGH })]);
    assert.equal(decideOverride(high, cmd).ok, false);
  });
});
