/**
 * A resend and a cancellation on plain data: the refusals a client gets, the resend's cooldown
 * claim and the events each change appends.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Channel } from "@proto/otp/v1/common";
import { DEFAULT_POLICY, type TenantPolicy } from "@domain/policy";
import { facts, input, opened, sealed, startedState, T0 } from "../../test/core-fixtures";
import {
  codeLengthOf,
  decideCancellation,
  decideResendRequest,
  resendCooldown,
  resendRequested,
} from "./changes";
import { decideStart, type StartPlan } from "./start";

const plan = decideStart(input(), DEFAULT_POLICY, facts()) as StartPlan;
const state = startedState(plan, "ver_1");
const afterCooldown = T0 + 31_000;

describe("issuance core: a resend", () => {
  it("claims one resend per cooldown, named after the verification and who asked", () => {
    const d = decideResendRequest(state, Channel.CHANNEL_SMS, afterCooldown, "agent:ayu");
    assert.deepEqual(d, {
      kind: "allowed",
      claim: { key: "resend|ver_1", value: "agent:ayu", ttlMs: 30_000 },
    });
    const anonymous = decideResendRequest(
      { ...state, resendCooldownMs: 0 },
      Channel.CHANNEL_SMS,
      afterCooldown,
      "",
    );
    assert.deepEqual(anonymous.kind === "allowed" && anonymous.claim, {
      key: "resend|ver_1",
      value: "resend",
      ttlMs: 1000,
    });
  });

  it("is refused within the cooldown with the time left, and once the verification is final", () => {
    const early = decideResendRequest(state, Channel.CHANNEL_SMS, T0 + 10_000, "");
    assert.equal(early.kind, "refused");
    if (early.kind !== "refused") return;
    assert.equal(early.error.code, "OTP_RATE_LIMITED");
    assert.equal(early.error.retryAfterMs, 20_000);
    const done = decideResendRequest(
      { ...state, status: "verified" },
      Channel.CHANNEL_SMS,
      afterCooldown,
      "",
    );
    assert.equal(done.kind === "refused" && done.error.code, "OTP_FAILED_PRECONDITION");
    const lost = resendCooldown(state);
    assert.equal(lost.code, "OTP_RATE_LIMITED");
    assert.equal(lost.retryAfterMs, 30_000);
  });

  it("appends a new sealed code only when the policy rotates codes, of the purpose's length", () => {
    const lengths: number[] = [];
    const seal = (length: number) => {
      lengths.push(length);
      return sealed("x".repeat(length));
    };
    const same = resendRequested(state, Channel.CHANNEL_SMS, DEFAULT_POLICY, seal);
    assert.deepEqual(same, {
      $case: "resendRequested",
      value: { channel: Channel.CHANNEL_SMS, newCode: undefined, expiresAt: new Date(state.expiresAt) },
    });
    const policy: TenantPolicy = {
      ...DEFAULT_POLICY,
      purposes: { ...DEFAULT_POLICY.purposes, login: { ...DEFAULT_POLICY.purposes.login!, codeLength: 8 } },
    };
    const rotated = resendRequested({ ...state, codePerAttempt: true }, Channel.CHANNEL_VOICE, policy, seal);
    if (rotated.$case !== "resendRequested") return assert.fail(rotated.$case);
    assert.equal(opened(rotated.value.newCode), "code:xxxxxxxx");
    assert.deepEqual(lengths, [8]);
    assert.equal(codeLengthOf({ ...state, purpose: "retired" }, policy), 6);
  });
});

describe("issuance core: a cancellation", () => {
  it("appends VerificationCancelled with the reason kept short", () => {
    const d = decideCancellation(state, "r".repeat(300), "tenant");
    assert.equal(d.kind, "allowed");
    if (d.kind !== "allowed") return;
    assert.deepEqual(d.event, {
      $case: "verificationCancelled",
      value: { reason: "r".repeat(200), by: "tenant" },
    });
  });

  it("is refused once the verification is final", () => {
    for (const status of ["verified", "cancelled", "expired", "failed", "locked"] as const) {
      const d = decideCancellation({ ...state, status }, "", "tenant");
      assert.equal(d.kind === "refused" && d.error.code, "OTP_FAILED_PRECONDITION", status);
    }
  });
});
