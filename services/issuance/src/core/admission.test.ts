/**
 * What a start does with the limits script's answer, on plain data: go ahead, refuse a key
 * reused with other parameters, follow the key to its verification, reuse a live active
 * verification (never another tenant's) or replace an ended one, a bounded number of times.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_POLICY } from "@domain/policy";
import { facts, input, startedState, T0 } from "../../test/core-fixtures";
import { decideActive, decideAdmission, isLive, REPLACE_ROUNDS } from "./admission";
import { decideStart, type StartPlan } from "./start";

const plan = decideStart(input(), DEFAULT_POLICY, facts()) as StartPlan;
const live = startedState(plan, "ver_live");
const request = {
  tenant: live.tenant,
  now: T0 + 1000,
  round: 0,
  idempotencyKey: "",
  resendIfActive: false,
  claimsActive: true,
};

describe("issuance core: the limits script's answer", () => {
  const keyed = { idempotencyKey: "order-42", claimsIdempotency: true };

  it("goes ahead when every limit passed and the keys are the request's", () => {
    assert.deepEqual(decideAdmission({ kind: "admitted" }, keyed), { kind: "admitted" });
  });

  it("refuses a key first used with other parameters, naming the client's key", () => {
    const step = decideAdmission({ kind: "idempotency-mismatch", verificationId: "ver_1" }, keyed);
    assert.equal(step.kind, "refused");
    if (step.kind !== "refused") return;
    assert.equal(step.error.code, "OTP_IDEMPOTENCY_MISMATCH");
    assert.match(step.error.message, /idempotency key "order-42" was first used with other parameters/);
  });

  it("follows a key the request claimed to the verification its first request made", () => {
    assert.deepEqual(decideAdmission({ kind: "idempotent", verificationId: "ver_1" }, keyed), {
      kind: "follow-idempotent",
      verificationId: "ver_1",
    });
  });

  it("reads the active verification the active key names", () => {
    const unkeyed = { idempotencyKey: "", claimsIdempotency: false };
    assert.deepEqual(decideAdmission({ kind: "active", verificationId: "ver_2" }, unkeyed), {
      kind: "read-active",
      verificationId: "ver_2",
    });
    assert.deepEqual(decideAdmission({ kind: "idempotent", verificationId: "ver_3" }, unkeyed), {
      kind: "read-active",
      verificationId: "ver_3",
    });
  });
});

describe("issuance core: an active verification for the phone and purpose", () => {
  it("is live while pending or delivered and not expired", () => {
    assert.equal(isLive(live, T0), true);
    assert.equal(isLive(live, live.expiresAt), false);
    assert.equal(isLive({ ...live, status: "delivered" }, T0), true);
    assert.equal(isLive({ ...live, status: "verified" }, T0), false);
  });

  it("is reused when live: the key then points at it, and its code is resent only when asked", () => {
    assert.deepEqual(decideActive(live.id, live, request), {
      kind: "reuse",
      state: live,
      remember: false,
      resend: false,
    });
    const step = decideActive(live.id, live, {
      ...request,
      idempotencyKey: "order-42",
      resendIfActive: true,
    });
    assert.equal(step.kind, "reuse");
    if (step.kind !== "reuse") return;
    assert.equal(step.remember, true);
    assert.equal(step.resend, true);
  });

  it("is replaced when it has ended, cannot be read, or is another tenant's", () => {
    const replace = { kind: "replace", replacing: live.id };
    assert.deepEqual(decideActive(live.id, { ...live, status: "verified" }, request), replace);
    assert.deepEqual(decideActive(live.id, live, { ...request, now: live.expiresAt }), replace);
    assert.deepEqual(decideActive(live.id, undefined, request), replace);
    assert.deepEqual(decideActive(live.id, live, { ...request, tenant: "bank-b" }), replace);
  });

  it("stops replacing after a few rounds, and without an active claim, asking for a retry", () => {
    for (const r of [
      decideActive(live.id, undefined, { ...request, round: REPLACE_ROUNDS }),
      decideActive(live.id, undefined, { ...request, claimsActive: false }),
    ]) {
      assert.equal(r.kind, "refused");
      if (r.kind !== "refused") return;
      assert.equal(r.error.code, "OTP_STATE_UNAVAILABLE");
      assert.equal(r.error.retryAfterMs, 100);
    }
    assert.equal(decideActive(live.id, undefined, { ...request, round: REPLACE_ROUNDS - 1 }).kind, "replace");
  });
});
