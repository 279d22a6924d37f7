/**
 * The OTP lifecycle over real gRPC, Kafka and Redis: start, idempotency, checks, lockout, expiry,
 * binding, limits with RetryInfo, the pumping guard, overrides, and a projection rebuilt from
 * the log. Ends by scanning every log line and Kafka payload for the codes it issued.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { CheckOutcome } from "@proto/otp/events/v1/events";
import { Channel, VerificationStatus } from "@proto/otp/v1/common";
import { StartVerificationRequest } from "@proto/otp/v1/issuance";
import { CheckCodeRequest, CheckResult } from "@proto/otp/v1/verification";
import { callUnary } from "@platform/grpc/client";
import { decodeStatusDetails } from "@platform/grpc/status";
import { projectionKey } from "@verification-state/scripts";
import { TOKENS, startLifecycle, type LifecycleHarness } from "./lifecycle-harness";
import Redis from "ioredis";

let h: LifecycleHarness;
const issued = new Set<string>();
let phoneSeq = Math.floor(Math.random() * 1e6);
const newPhone = () => `+62812${String(10_000_000 + (phoneSeq++ % 89_999_999)).padStart(8, "0")}`;

async function start(token: string, over: Partial<StartVerificationRequest> = {}) {
  const req = StartVerificationRequest.fromPartial({
    phone: newPhone(),
    purpose: "login",
    locale: "id",
    districtHint: "ID-JK-JKS",
    ...over,
  });
  const res = await callUnary(h.issuance(token), "startVerification", req);
  return res;
}

async function codeOf(id: string): Promise<string> {
  const code = await h.codeOf(id);
  issued.add(code);
  return code;
}

const check = (token: string, id: string, code: string, over: Partial<CheckCodeRequest> = {}) =>
  callUnary(
    h.verification(token),
    "checkCode",
    CheckCodeRequest.fromPartial({ target: { $case: "verificationId", value: id }, code, ...over }),
  );

const wrongCode = (code: string) => String((Number(code) + 1) % 10 ** code.length).padStart(code.length, "0");

async function rejects(p: Promise<unknown>): Promise<ReturnType<typeof decodeStatusDetails>> {
  try {
    await p;
  } catch (err) {
    return decodeStatusDetails(err as ServiceError);
  }
  assert.fail("expected the call to fail");
}

before(async () => {
  h = await startLifecycle();
});
after(async () => {
  await h?.close();
});

describe("OTP lifecycle over gRPC, Kafka and Redis", () => {
  it("starts, rejects a wrong code, verifies the right one once, and records every step on Kafka", async () => {
    const res = await start(TOKENS.acme);
    const v = res.verification!;
    assert.match(v.verificationId, /^ver_/);
    assert.equal(v.status, VerificationStatus.VERIFICATION_STATUS_PENDING);
    assert.equal(res.reused, false);
    assert.ok(v.expiresAt!.getTime() > Date.now() + 200_000);
    assert.match(v.maskedPhone, /^\+62812\*+\d{4}$/);
    assert.ok(!JSON.stringify(res).match(/"code"/));

    const code = await codeOf(v.verificationId);
    const wrong = await check(TOKENS.acme, v.verificationId, wrongCode(code));
    assert.equal(wrong.result, CheckResult.CHECK_RESULT_REJECTED);
    assert.equal(wrong.checksRemaining, 4);
    assert.equal(
      (await check(TOKENS.acme, v.verificationId, code)).result,
      CheckResult.CHECK_RESULT_VERIFIED,
    );
    assert.equal(
      (await check(TOKENS.acme, v.verificationId, code)).result,
      CheckResult.CHECK_RESULT_ALREADY_USED,
    );

    const got = await callUnary(h.issuance(TOKENS.acme), "getVerification", {
      verificationId: v.verificationId,
    });
    assert.equal(got.verification!.status, VerificationStatus.VERIFICATION_STATUS_VERIFIED);

    // Another tenant cannot see it, nor check it.
    const other = await rejects(
      callUnary(h.issuance(TOKENS.pump), "getVerification", { verificationId: v.verificationId }),
    );
    assert.equal(other.code, GrpcStatus.NOT_FOUND);
    assert.equal(
      (await check(TOKENS.pump, v.verificationId, code)).result,
      CheckResult.CHECK_RESULT_REJECTED,
    );

    await eventually(
      () => h.eventsOf(v.verificationId).filter((e) => e.event?.$case === "codeChecked").length === 3,
    );
    const outcomes = h
      .eventsOf(v.verificationId)
      .flatMap((e) => (e.event?.$case === "codeChecked" ? [e.event.value.outcome] : []));
    assert.deepEqual(outcomes, [
      CheckOutcome.CHECK_OUTCOME_WRONG_CODE,
      CheckOutcome.CHECK_OUTCOME_VERIFIED,
      CheckOutcome.CHECK_OUTCOME_ALREADY_USED,
    ]);
  });

  it("returns the same verification for the same idempotency key or an active phone + purpose, sending nothing new", async () => {
    const phone = newPhone();
    const first = await start(TOKENS.acme, { phone, idempotencyKey: "order-42" });
    const again = await start(TOKENS.acme, { phone, idempotencyKey: "order-42" });
    const active = await start(TOKENS.acme, { phone });
    const id = first.verification!.verificationId;
    assert.equal(again.verification!.verificationId, id);
    assert.equal(again.reused, true);
    assert.equal(active.verification!.verificationId, id);
    const concurrent = await Promise.all(
      Array.from({ length: 20 }, () => start(TOKENS.acme, { phone, idempotencyKey: "order-43" })),
    );
    assert.equal(new Set(concurrent.map((r) => r.verification!.verificationId)).size, 1);
    await codeOf(id);
    assert.equal(h.eventsOf(id).filter((e) => e.event?.$case === "verificationStarted").length, 1);
  });

  it("refuses an idempotency key reused with other parameters, naming the key, per tenant", async () => {
    const phone = newPhone();
    const key = `order-${phoneSeq}`;
    const first = await start(TOKENS.acme, { phone, idempotencyKey: key });
    const id = first.verification!.verificationId;
    const changes: Partial<StartVerificationRequest>[] = [
      { phone: newPhone() },
      { purpose: "transaction", transaction: { amountMinor: 100, currency: "IDR", payee: "shop" } },
      { channelPreference: Channel.CHANNEL_SMS },
    ];
    for (const change of changes) {
      const refused = await rejects(start(TOKENS.acme, { phone, idempotencyKey: key, ...change }));
      assert.equal(refused.code, GrpcStatus.FAILED_PRECONDITION, JSON.stringify(change));
      assert.equal(refused.reason, "OTP_IDEMPOTENCY_MISMATCH");
      assert.ok(refused.message.includes(`"${key}"`), refused.message);
    }
    // The same parameters still answer with the first verification.
    const again = await start(TOKENS.acme, { phone, idempotencyKey: key });
    assert.equal(again.verification!.verificationId, id);
    assert.equal(again.reused, true);
    // Another tenant's key of the same name is its own.
    const elsewhere = await start(TOKENS.pump, { phone: newPhone(), idempotencyKey: key });
    assert.equal(elsewhere.reused, false);
    assert.notEqual(elsewhere.verification!.verificationId, id);
    await codeOf(id);
    await codeOf(elsewhere.verification!.verificationId);
  });

  it("answers a code of the wrong length INVALID_ARGUMENT naming the expected length, using no attempt", async () => {
    const phone = newPhone();
    const id = (await start(TOKENS.acme, { phone })).verification!.verificationId;
    const code = await codeOf(id);
    const short = await rejects(check(TOKENS.acme, id, code.slice(1)));
    assert.equal(short.code, GrpcStatus.INVALID_ARGUMENT);
    assert.ok(short.message.includes(`must be ${code.length} digits`), short.message);
    assert.deepEqual(short.violations, [{ field: "code", description: `must be ${code.length} digits` }]);
    const byPhone = await rejects(
      check(TOKENS.acme, "", `${code}0`, {
        target: { $case: "byPhone", value: { phone, purpose: "login" } },
      }),
    );
    assert.equal(byPhone.code, GrpcStatus.INVALID_ARGUMENT);
    const wrong = await check(TOKENS.acme, id, wrongCode(code));
    assert.equal(wrong.checksRemaining, 4, "the wrong lengths used no attempt");
  });

  it("sends in the tenant's default locale when it has no sender for the one asked, and says so", async () => {
    const unknown = await start(TOKENS.acme, { locale: "de-DE" });
    assert.equal(unknown.verification!.locale, "en");
    const language = await start(TOKENS.acme, { locale: "id-ID" });
    assert.equal(language.verification!.locale, "id");
    await codeOf(unknown.verification!.verificationId);
    await codeOf(language.verification!.verificationId);
  });

  it("lets exactly one of 100 concurrent correct checks succeed", async () => {
    const id = (await start(TOKENS.acme)).verification!.verificationId;
    const code = await codeOf(id);
    const results = await Promise.all(Array.from({ length: 100 }, () => check(TOKENS.acme, id, code)));
    const counts = new Map<CheckResult, number>();
    for (const r of results) counts.set(r.result, (counts.get(r.result) ?? 0) + 1);
    assert.equal(counts.get(CheckResult.CHECK_RESULT_VERIFIED), 1);
    assert.equal(counts.get(CheckResult.CHECK_RESULT_ALREADY_USED), 99);
  });

  it("locks after five wrong codes, and the right code no longer works", async () => {
    const id = (await start(TOKENS.acme)).verification!.verificationId;
    const code = await codeOf(id);
    const remaining = [];
    for (let i = 0; i < 5; i++)
      remaining.push((await check(TOKENS.acme, id, wrongCode(code))).checksRemaining);
    assert.deepEqual(remaining, [4, 3, 2, 1, 0]);
    assert.equal((await check(TOKENS.acme, id, code)).result, CheckResult.CHECK_RESULT_LOCKED);
    await eventually(() => h.eventsOf(id).some((e) => e.event?.$case === "verificationLocked"));
  });

  it("rejects a correct code after expiry", async () => {
    const id = (await start(TOKENS.acme)).verification!.verificationId;
    const code = await codeOf(id);
    // Given a verification whose expiry has passed (server time decides).
    const redis = new Redis(process.env.REDIS_URL!);
    await redis.hset(h.platform.store.key(projectionKey(id)), "exp", String(Date.now() - 1000));
    redis.disconnect();
    assert.equal((await check(TOKENS.acme, id, code)).result, CheckResult.CHECK_RESULT_EXPIRED);
  });

  it("binds a transaction code to amount and payee", async () => {
    const transaction = { amountMinor: 150_000_00, currency: "IDR", payee: "Toko Budi" };
    const missing = await rejects(start(TOKENS.acme, { purpose: "transaction" }));
    assert.equal(missing.code, GrpcStatus.INVALID_ARGUMENT);
    const id = (await start(TOKENS.acme, { purpose: "transaction", transaction })).verification!
      .verificationId;
    const code = await codeOf(id);
    const changed = await check(TOKENS.acme, id, code, {
      transaction: { ...transaction, amountMinor: 150_000_01 },
    });
    assert.equal(changed.result, CheckResult.CHECK_RESULT_REJECTED);
    const noBinding = await check(TOKENS.acme, id, code);
    assert.equal(noBinding.result, CheckResult.CHECK_RESULT_REJECTED);
    assert.equal(
      (await check(TOKENS.acme, id, code, { transaction })).result,
      CheckResult.CHECK_RESULT_VERIFIED,
    );
    await eventually(() =>
      h
        .eventsOf(id)
        .some(
          (e) =>
            e.event?.$case === "codeChecked" &&
            e.event.value.outcome === CheckOutcome.CHECK_OUTCOME_BINDING_MISMATCH,
        ),
    );
  });

  it("answers limits with RESOURCE_EXHAUSTED and a RetryInfo delay", async () => {
    const id = (await start(TOKENS.acme)).verification!.verificationId;
    const cooldown = await rejects(
      callUnary(h.issuance(TOKENS.acme), "resendCode", { verificationId: id, channel: 2 }),
    );
    assert.equal(cooldown.code, GrpcStatus.RESOURCE_EXHAUSTED);
    assert.equal(cooldown.reason, "OTP_RATE_LIMITED");
    assert.ok(
      cooldown.retryAfterMs! > 20_000 && cooldown.retryAfterMs! <= 30_000,
      `retry after ${cooldown.retryAfterMs}`,
    );

    await start(TOKENS.tight);
    const tenantRate = await rejects(start(TOKENS.tight));
    assert.equal(tenantRate.code, GrpcStatus.RESOURCE_EXHAUSTED);
    assert.ok(tenantRate.retryAfterMs! > 0 && tenantRate.retryAfterMs! <= 1000);
    assert.match(tenantRate.message, /tenant requests per second/);
  });

  it("rejects bad input precisely and refuses premium-rate numbers", async () => {
    const bad = await rejects(start(TOKENS.acme, { phone: "0812-3456" }));
    assert.equal(bad.code, GrpcStatus.INVALID_ARGUMENT);
    assert.equal(bad.violations[0]?.field, "phone");
    const several = await rejects(
      start(TOKENS.acme, { purpose: "Login!", locale: "??", districtHint: "a b" }),
    );
    assert.deepEqual(several.violations.map((v) => v.field).sort(), ["district_hint", "locale", "purpose"]);
    const unknownPurpose = await rejects(start(TOKENS.acme, { purpose: "launch_rockets" }));
    assert.equal(unknownPurpose.code, GrpcStatus.INVALID_ARGUMENT);
    const premium = await rejects(start(TOKENS.acme, { phone: "+62 809 1234 567" }));
    assert.equal(premium.code, GrpcStatus.PERMISSION_DENIED);
    assert.equal(premium.reason, "OTP_DESTINATION_BLOCKED");
  });

  it("blocks a destination prefix whose conversion collapses (SMS pumping)", async () => {
    for (let i = 0; i < 5; i++) await start(TOKENS.pump, { phone: `+6281399${String(100000 + i)}` });
    const blocked = await rejects(start(TOKENS.pump, { phone: "+6281399555555" }));
    assert.equal(blocked.code, GrpcStatus.PERMISSION_DENIED);
    assert.equal(blocked.reason, "OTP_FRAUD_BLOCKED");
    // Another prefix still works.
    await start(TOKENS.pump, { phone: "+628571234567" });
  });

  it("overrides only with two different admins, never for high-risk purposes", async () => {
    const id = (await start(TOKENS.acme)).verification!.verificationId;
    const reason = "customer identified by branch video call";
    const asTenant = await rejects(
      callUnary(h.verification(TOKENS.acme), "requestOverride", { verificationId: id, reason }),
    );
    assert.equal(asTenant.code, GrpcStatus.PERMISSION_DENIED);
    const req = await callUnary(h.verification(TOKENS.alice), "requestOverride", {
      verificationId: id,
      reason,
    });
    const self = await rejects(
      callUnary(h.verification(TOKENS.alice), "approveOverride", { overrideId: req.overrideId }),
    );
    assert.equal(self.code, GrpcStatus.FAILED_PRECONDITION);
    const approved = await callUnary(h.verification(TOKENS.bob), "approveOverride", {
      overrideId: req.overrideId,
    });
    assert.equal(approved.verification!.status, VerificationStatus.VERIFICATION_STATUS_VERIFIED);
    const code = await codeOf(id);
    assert.equal((await check(TOKENS.acme, id, code)).result, CheckResult.CHECK_RESULT_ALREADY_USED);
    await eventually(() =>
      h
        .eventsOf(id)
        .some(
          (e) =>
            e.event?.$case === "verificationOverridden" &&
            e.event.value.agent === "admin:alice" &&
            e.event.value.approver === "admin:bob",
        ),
    );

    const transaction = { amountMinor: 100, currency: "IDR", payee: "x" };
    const high = (await start(TOKENS.acme, { purpose: "transaction", transaction })).verification!
      .verificationId;
    const refused = await rejects(
      callUnary(h.verification(TOKENS.alice), "requestOverride", { verificationId: high, reason }),
    );
    assert.equal(refused.code, GrpcStatus.FAILED_PRECONDITION);
    await codeOf(high);
  });

  it("rebuilds the projection from Kafka after the store lost it, with the same answers", async () => {
    const pending = (await start(TOKENS.acme)).verification!.verificationId;
    const pendingCode = await codeOf(pending);
    await check(TOKENS.acme, pending, wrongCode(pendingCode));
    await check(TOKENS.acme, pending, wrongCode(pendingCode));
    const verified = (await start(TOKENS.acme)).verification!.verificationId;
    const verifiedCode = await codeOf(verified);
    await check(TOKENS.acme, verified, verifiedCode);
    const byPhone = newPhone();
    const phoneId = (await start(TOKENS.acme, { phone: byPhone, idempotencyKey: `rebuilt-${phoneSeq}` }))
      .verification!.verificationId;
    const rebuiltKey = `rebuilt-${phoneSeq - 1}`;
    const phoneCode = await codeOf(phoneId);
    await eventually(() => h.eventsOf(verified).some((e) => e.event?.$case === "codeChecked"));
    await eventually(() => h.eventsOf(pending).filter((e) => e.event?.$case === "codeChecked").length === 2);

    await h.platform.store.clear();
    assert.equal(
      (await check(TOKENS.acme, pending, pendingCode)).result,
      CheckResult.CHECK_RESULT_REJECTED,
      "fails closed without state",
    );

    const rebuild = await h.verificationApp.projector.rebuild();
    try {
      await eventually(
        async () => (await h.issuanceApp.issuance.get("acme", phoneId).catch(() => undefined)) !== undefined,
        20_000,
      );
      await eventually(
        async () =>
          (await h.issuanceApp.issuance.get("acme", pending).catch(() => undefined))?.checksUsed === 2,
        20_000,
      );
    } finally {
      await rebuild.stop();
    }
    // The rebuilt idempotency index still knows the parameters its key was first used with.
    const reusedElsewhere = await rejects(start(TOKENS.acme, { idempotencyKey: rebuiltKey }));
    assert.equal(reusedElsewhere.reason, "OTP_IDEMPOTENCY_MISMATCH");
    // The failed-closed check above found no state, so it used no attempt.
    assert.equal(
      (await check(TOKENS.acme, verified, verifiedCode)).result,
      CheckResult.CHECK_RESULT_ALREADY_USED,
    );
    const wrongAgain = await check(TOKENS.acme, pending, wrongCode(pendingCode));
    assert.equal(wrongAgain.checksRemaining, 2, "the two wrong checks before the loss still count");
    const ok = await check(TOKENS.acme, pending, pendingCode);
    assert.equal(ok.result, CheckResult.CHECK_RESULT_VERIFIED);
    const viaPhone = await callUnary(
      h.verification(TOKENS.acme),
      "checkCode",
      CheckCodeRequest.fromPartial({
        target: { $case: "byPhone", value: { phone: byPhone, purpose: "login" } },
        code: phoneCode,
      }),
    );
    assert.equal(viaPhone.result, CheckResult.CHECK_RESULT_VERIFIED);
    assert.equal(viaPhone.verificationId, phoneId);
  });

  it("looks up by phone without revealing whether a verification exists", async () => {
    const ask = (phone: string) =>
      callUnary(
        h.verification(TOKENS.acme),
        "checkCode",
        CheckCodeRequest.fromPartial({
          target: { $case: "byPhone", value: { phone, purpose: "login" } },
          code: "000000",
        }),
      );
    const withOne = newPhone();
    const id = (await start(TOKENS.acme, { phone: withOne })).verification!.verificationId;
    const code = await codeOf(id);
    const unknown = await ask(newPhone());
    const wrong = await ask(withOne).then((r) => (code === "000000" ? unknown : r));
    assert.deepEqual(unknown, wrong);
    assert.deepEqual(unknown, {
      result: CheckResult.CHECK_RESULT_REJECTED,
      verificationId: "",
      checksRemaining: 0,
    });
  });

  it("streams a verification's changes to a watcher until it ends", async () => {
    const id = (await start(TOKENS.acme)).verification!.verificationId;
    await codeOf(id);
    const stream = h.issuance(TOKENS.acme).watchVerification({ verificationId: id });
    const updates: { event: string; status: VerificationStatus }[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      stream.on("data", (u: { event: string; verification?: { status: VerificationStatus } }) => {
        updates.push({ event: u.event, status: u.verification!.status });
        if (updates.length === 1) {
          void callUnary(h.issuance(TOKENS.acme), "cancelVerification", {
            verificationId: id,
            reason: "user left",
          });
        }
      });
      stream.on("end", resolve);
      stream.on("error", reject);
    });
    await ended;
    assert.deepEqual(updates, [
      { event: "current status", status: VerificationStatus.VERIFICATION_STATUS_PENDING },
      { event: "cancelled", status: VerificationStatus.VERIFICATION_STATUS_CANCELLED },
    ]);
    const again = await rejects(
      callUnary(h.issuance(TOKENS.acme), "cancelVerification", { verificationId: id, reason: "x" }),
    );
    assert.equal(again.code, GrpcStatus.FAILED_PRECONDITION);
  });

  it("never puts a code in a log line, an event payload or an error", async () => {
    assert.ok(issued.size >= 10, `codes issued: ${issued.size}`);
    await eventually(() => h.rawPayloads.length > 0);
    const logText = h.logs.join("\n");
    const payloadText = h.rawPayloads.map((p) => p.toString("latin1"));
    const envelopeText = JSON.stringify(h.envelopes);
    for (const code of issued) {
      // A code stands alone; the same six digits inside a timestamp, an offset or a phone
      // number are chance, not a leak.
      const alone = new RegExp(`(?<![0-9])${code}(?![0-9])`);
      assert.ok(!alone.test(logText), "a code appears in the logs");
      for (const payload of payloadText) assert.ok(!alone.test(payload), "a code appears in a Kafka payload");
      assert.ok(!alone.test(envelopeText), "a code appears in a decoded event");
    }
    assert.ok(!/\+62812\d{8}/.test(logText), "a full phone number appears in the logs");
  });
});

async function eventually(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail("condition not met in time");
}
