import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import type { EncryptedValue } from "@proto/otp/events/v1/events";
import { Channel, DeliveryStatus, FailureClass, RiskTier } from "@proto/otp/v1/common";
import { initialState, type VerificationState } from "@domain/verification";
import { sealedToJson } from "@platform/crypto/sealed-json";
import { parseState, serializeState } from "./state-codec";

const sealed = (bytes: number): EncryptedValue => ({
  keyId: "k1",
  iv: randomBytes(12),
  ciphertext: randomBytes(bytes),
  tag: randomBytes(16),
});

/** A verification sent by SMS and delivered, as the projection keeps it while it waits for a check. */
function deliveredState(): VerificationState {
  const createdAt = 1_796_669_043_608;
  return {
    ...initialState("ver_WvFLcLjjEzSFqx1MEzn47w", "bench"),
    status: "delivered",
    purpose: "signup",
    riskTier: RiskTier.RISK_TIER_LOW,
    maskedPhone: "+62812****3074",
    phone: sealed(14),
    country: "ID",
    operator: "id-telkomsel",
    district: "ID-JK-JKS",
    locale: "en",
    createdAt,
    expiresAt: createdAt + 600_000,
    maxChecks: 5,
    maxSends: 5,
    sendsUsed: 1,
    resendCooldownMs: 30_000,
    resendUntil: createdAt + 600_000,
    lastSendAt: createdAt + 664,
    numberType: "mobile",
    codeLength: 6,
    codes: [{ attempt: 0, sealed: sealed(6), expiresAt: createdAt + 600_000 }],
    plannedSteps: [{ channel: Channel.CHANNEL_SMS, route: "", timeoutSeconds: 600 }],
    attempts: [
      {
        attempt: 1,
        channel: Channel.CHANNEL_SMS,
        route: "id-telkomsel-direct",
        status: DeliveryStatus.DELIVERY_STATUS_DELIVERED,
        failureClass: FailureClass.FAILURE_CLASS_UNSPECIFIED,
        reason: "",
        operator: "id-telkomsel",
        requestedAt: createdAt + 664,
        acceptedAt: createdAt + 1_537,
        deliveredAt: createdAt + 1_534,
        finishedAt: createdAt + 1_534,
      },
    ],
    appliedEventIds: Array.from({ length: 5 }, () => randomUUID()),
  };
}

/** The plain JSON form the projection wrote before. */
const plainJson = (state: VerificationState): string =>
  JSON.stringify(state, (_key, value: unknown) =>
    typeof value === "object" && value !== null && "ciphertext" in value
      ? sealedToJson(value as EncryptedValue)
      : value,
  );

describe("verification state codec", () => {
  it("reads back what it writes, sealed values and optional fields included", () => {
    const state = deliveredState();
    assert.deepEqual(parseState(serializeState(state)), state);
    const more: VerificationState = {
      ...state,
      status: "verified",
      verifiedBy: "network",
      codePerAttempt: true,
      hasBinding: true,
      transaction: sealed(40),
      phone: undefined,
      attempts: [
        { ...state.attempts[0]!, acceptedAt: undefined, deliveredAt: undefined, finishedAt: undefined },
      ],
      appliedEventIds: ["evt-1", "=odd", randomUUID()],
    };
    const { acceptedAt: _a, deliveredAt: _d, finishedAt: _f, ...bare } = more.attempts[0]!;
    assert.deepEqual(parseState(serializeState(more)), { ...more, attempts: [bare] });
    assert.deepEqual(parseState(serializeState(initialState("ver_x", "t"))), initialState("ver_x", "t"));
  });

  it("still reads the plain JSON form written before", () => {
    const state = { ...deliveredState(), verifiedBy: "code" as const };
    // That form left out what was undefined (here: no transaction).
    const { transaction: _absent, ...written } = state;
    assert.deepEqual(parseState(plainJson(state)), written);
  });

  it("keeps a delivered verification in well under half the plain JSON form", () => {
    const state = deliveredState();
    const compact = serializeState(state).length;
    const plain = plainJson(state).length;
    assert.ok(compact * 2 < plain, `compact ${compact} bytes against plain ${plain}`);
  });

  it("refuses a format it does not know", () => {
    assert.throws(() => parseState('[3,"ver_x"]'), /unknown format \(3\)/);
  });
});
