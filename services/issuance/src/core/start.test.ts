/**
 * A start's decisions on plain data: which requests the screen refuses (and whether they count
 * toward the tenant's rate), the rules and channels a start gets, the silent step it offers and
 * the VerificationStarted it becomes.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Channel, RiskTier } from "@proto/otp/v1/common";
import { DEFAULT_POLICY, type TenantPolicy } from "@domain/policy";
import { facts, input, made, opened, silentPolicy, T0 } from "../../test/core-fixtures";
import {
  decideStart,
  destinationRefusal,
  silentOffer,
  startedEvent,
  type StartPlan,
  type StartRefusal,
} from "./start";

function planned(decision: StartPlan | StartRefusal): StartPlan {
  if (decision.kind === "refused") return assert.fail(decision.error.message);
  return decision;
}

function refusal(decision: StartPlan | StartRefusal): StartRefusal {
  if (decision.kind === "plan") return assert.fail("planned, not refused");
  return decision;
}

describe("issuance core: the start screen", () => {
  it("plans a login to a mobile number with the purpose's rules and the workflow's channels", () => {
    const plan = planned(decideStart(input(), DEFAULT_POLICY, facts()));
    assert.equal(plan.ttlMs, 300_000);
    assert.equal(plan.rules.codeLength, 6);
    assert.equal(plan.rules.incidentRelief, false);
    assert.deepEqual(plan.serve.channels, ["whatsapp", "sms", "voice"]);
  });

  it("refuses an unknown purpose without counting it toward the tenant's rate", () => {
    const r = refusal(decideStart(input({ purpose: "lottery" }), DEFAULT_POLICY, facts()));
    assert.equal(r.countsRequest, false);
    assert.equal(r.error.code, "OTP_INVALID_ARGUMENT");
    assert.equal(r.error.violations[0]?.field, "purpose");
  });

  it("refuses a purpose that needs a transaction binding when the request has none", () => {
    const r = refusal(decideStart(input({ purpose: "transaction" }), DEFAULT_POLICY, facts()));
    assert.equal(r.countsRequest, true);
    assert.equal(r.error.code, "OTP_INVALID_ARGUMENT");
    assert.deepEqual(
      r.error.violations.map((v) => v.field),
      ["transaction"],
    );
    const bound = input({
      purpose: "transaction",
      transaction: { amountMinor: 150000, currency: "IDR", payee: "Toko Maju" },
    });
    planned(decideStart(bound, DEFAULT_POLICY, facts()));
  });

  it("refuses a country the tenant does not serve, and a number type no workflow channel takes", () => {
    const country = refusal(decideStart(input(), DEFAULT_POLICY, facts({ country: "US" })));
    assert.equal(country.countsRequest, true);
    assert.equal(country.error.code, "OTP_DESTINATION_BLOCKED");
    assert.match(country.error.message, /country US is not enabled/);
    const premium = refusal(decideStart(input(), DEFAULT_POLICY, facts({ type: "premium" })));
    assert.equal(premium.error.code, "OTP_DESTINATION_BLOCKED");
    assert.match(premium.error.message, /numbers of type premium cannot receive codes/);
    // VoIP is refused on SMS and voice but WhatsApp takes it: not blocked.
    assert.equal(destinationRefusal(DEFAULT_POLICY, "ID", "voip", ["whatsapp", "sms", "voice"]), undefined);
    assert.ok(destinationRefusal(DEFAULT_POLICY, "ID", "voip", ["sms", "voice"]));
  });

  it("refuses when no channel the purpose allows can serve the number, naming each reason's field", () => {
    const policy: TenantPolicy = {
      ...DEFAULT_POLICY,
      purposes: {
        ...DEFAULT_POLICY.purposes,
        login: { ...DEFAULT_POLICY.purposes.login!, allowedChannels: ["sms", "voice"] },
      },
    };
    const r = refusal(decideStart(input(), policy, facts({ type: "voip" })));
    assert.equal(r.countsRequest, true);
    assert.equal(r.error.code, "OTP_NO_ALLOWED_CHANNEL");
    assert.deepEqual(
      r.error.violations.map((v) => v.field),
      ["purpose", "phone", "phone"],
    );
    assert.match(r.error.message, /purpose login may not rely on whatsapp/);
  });

  it("answers the binding before the destination: the order refusals are checked in", () => {
    const r = refusal(
      decideStart(input({ purpose: "transaction" }), DEFAULT_POLICY, facts({ country: "US" })),
    );
    assert.equal(r.error.code, "OTP_INVALID_ARGUMENT");
  });

  it("gives a low-risk purpose incident relief while an incident is declared, and a high-risk one none", () => {
    const relieved = planned(decideStart(input({ purpose: "signup" }), DEFAULT_POLICY, facts({}, true)));
    assert.equal(relieved.ttlMs, 600_000);
    assert.equal(relieved.rules.incidentRelief, true);
    const high = planned(decideStart(input({ purpose: "password_reset" }), DEFAULT_POLICY, facts({}, true)));
    assert.equal(high.ttlMs, 300_000);
  });
});

describe("issuance core: the silent step", () => {
  it("offers the silent step of a silent-first workflow on mobile data, with the step's deadline", () => {
    const policy = silentPolicy();
    const plan = planned(decideStart(input({ mobileData: true }), policy, facts()));
    const offer = silentOffer(policy, plan, T0);
    assert.equal(offer?.gateway.name, "tsel");
    assert.equal(offer?.stepDeadline, T0 + 10_000);
    assert.equal(offer?.expiresAt, T0 + 300_000);
  });

  it("offers none off mobile data, and the event says why", () => {
    const policy = silentPolicy();
    const plan = planned(decideStart(input(), policy, facts()));
    assert.equal(silentOffer(policy, plan, T0), undefined);
    const { body } = startedEvent(input(), policy, facts(), plan, made());
    assert.equal(body.$case, "verificationStarted");
    if (body.$case !== "verificationStarted") return;
    assert.equal(body.value.silentGateway, "");
    assert.equal(
      body.value.silentSkippedReason,
      "silent network verification needs the device on mobile data",
    );
  });

  it("offers none when the workflow does not start with the silent step", () => {
    const policy = silentPolicy("default");
    const plan = planned(decideStart(input({ mobileData: true }), policy, facts()));
    assert.equal(silentOffer(policy, plan, T0), undefined);
  });
});

describe("issuance core: the VerificationStarted a start becomes", () => {
  it("carries the sealed phone and code, the purpose's rules and the number's facts", () => {
    const plan = planned(
      decideStart(input({ locale: "id-ID", districtHint: "ID-JK" }), DEFAULT_POLICY, facts()),
    );
    const { body, expiresAt } = startedEvent(
      input({ locale: "id-ID", districtHint: "ID-JK", channelPreference: Channel.CHANNEL_SMS }),
      DEFAULT_POLICY,
      facts(),
      plan,
      made({ idempotencyKeyHash: "kh", idempotencyFingerprint: "fp" }),
    );
    assert.equal(expiresAt, T0 + 300_000);
    assert.equal(body.$case, "verificationStarted");
    if (body.$case !== "verificationStarted") return;
    const v = body.value;
    assert.equal(opened(v.phone), "phone:+6281234567890");
    assert.equal(opened(v.code), "code:777777");
    assert.equal(v.maskedPhone.includes("1234567890"), false);
    assert.equal(v.country, "ID");
    assert.equal(v.operator, "id-telkomsel");
    assert.equal(v.numberType, "mobile");
    assert.equal(v.purpose, "login");
    assert.equal(v.riskTier, RiskTier.RISK_TIER_MEDIUM);
    assert.equal(v.locale, "id");
    assert.equal(v.channelPreference, Channel.CHANNEL_SMS);
    assert.equal(v.codeLength, 6);
    assert.equal(v.maxChecks, 5);
    assert.equal(v.maxSends, 5);
    assert.equal(v.resendCooldownSeconds, 30);
    assert.equal(v.expiresAt?.getTime(), T0 + 300_000);
    assert.equal(v.resendUntil?.getTime(), T0 + 300_000);
    assert.equal(v.transaction, undefined);
    assert.equal(v.hasTransactionBinding, false);
    assert.equal(v.idempotencyKeyHash, "kh");
    assert.equal(v.idempotencyFingerprint, "fp");
  });

  it("seals the transaction binding and makes a code of the purpose's length", () => {
    const policy: TenantPolicy = {
      ...DEFAULT_POLICY,
      purposes: {
        ...DEFAULT_POLICY.purposes,
        transaction: { ...DEFAULT_POLICY.purposes.transaction!, codeLength: 8 },
      },
    };
    const request = input({
      purpose: "transaction",
      transaction: { amountMinor: 150000, currency: "IDR", payee: "Toko Maju" },
    });
    const plan = planned(decideStart(request, policy, facts()));
    const { body } = startedEvent(request, policy, facts(), plan, made());
    if (body.$case !== "verificationStarted") return assert.fail(body.$case);
    assert.equal(opened(body.value.code), "code:77777777");
    assert.equal(body.value.hasTransactionBinding, true);
    assert.match(opened(body.value.transaction), /^transaction:\{.*"payee":"Toko Maju"/);
    assert.equal(body.value.riskTier, RiskTier.RISK_TIER_HIGH);
  });

  it("names the silent gateway it opened and keeps resends within the relieved lifetime", () => {
    const policy = silentPolicy();
    const plan = planned(decideStart(input({ mobileData: true }), policy, facts()));
    const { body } = startedEvent(
      input({ mobileData: true }),
      policy,
      facts(),
      plan,
      made({ silentGateway: "tsel" }),
    );
    if (body.$case !== "verificationStarted") return assert.fail(body.$case);
    assert.equal(body.value.silentGateway, "tsel");
    assert.equal(body.value.silentSkippedReason, "");

    const signup = input({ purpose: "signup" });
    const relieved = planned(decideStart(signup, DEFAULT_POLICY, facts({}, true)));
    const started = startedEvent(signup, DEFAULT_POLICY, facts({}, true), relieved, made());
    if (started.body.$case !== "verificationStarted") return assert.fail(started.body.$case);
    assert.equal(started.body.value.expiresAt?.getTime(), T0 + 600_000);
    assert.equal(started.body.value.resendUntil?.getTime(), T0 + 600_000);
  });
});
