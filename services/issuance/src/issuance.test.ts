/**
 * Issuance around the log write. A start or a change whose event reached the log has happened,
 * whatever the store does next: issuance answers with it instead of an error that would make the
 * client start a second verification (the store's copy then comes from the projector). A start
 * whose publish failed answers UNAVAILABLE; its idempotency key waits briefly for a write that may
 * still land, then lets a retry start afresh.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Channel } from "@proto/otp/v1/common";
import { StartVerificationRequest } from "@proto/otp/v1/issuance";
import { OtpError } from "@domain/errors";
import type { EventEnvelope } from "@proto/otp/events/v1/events";
import { createVerificationProjection, type VerificationProjection } from "@verification-state/projection";
import { platformFromEnv, type Platform } from "@platform/runtime/platform";
import { setTimeout as sleep } from "node:timers/promises";
import { createProjector } from "@verification-state/projector";
import { createMetrics } from "@platform/telemetry/metrics";
import { createAbuseGuards } from "./abuse-guards";
import { createIssuanceApp } from "./app";
import { createIssuance, type Issuance, type IssuanceDeps } from "./issuance";
import { EVENT_ROLES } from "@domain/events/ownership";

const TENANT = "demo-bank";

describe("issuance around the log write", () => {
  let platform: Platform;
  let issuance: Issuance;
  let projection: VerificationProjection;
  let storeDown = false;
  let clock = Date.now();
  const now = () => clock;
  const logs: string[] = [];
  const published: EventEnvelope[] = [];

  /** Issuance on the test platform; `overrides` replace its dependencies. */
  const issuanceWith = (overrides: Partial<IssuanceDeps> = {}): Issuance =>
    createIssuance({
      bus: platform.bus,
      store: platform.store,
      projection,
      secrets: platform.secrets,
      policies: platform.policies,
      guards: createAbuseGuards({ store: platform.store, now, logger: platform.logger }),
      topics: platform.topics,
      now,
      logger: platform.logger,
      ...overrides,
    });

  before(async () => {
    platform = await platformFromEnv({
      events: EVENT_ROLES["all-in-one"],
      service: "issuance-test",
      env: {},
      logWrite: (l) => logs.push(l),
    });
    projection = createVerificationProjection({
      store: platform.store,
      secrets: platform.secrets,
      retentionMs: 3_600_000,
    });
    const unavailable = () =>
      Promise.reject(new OtpError("OTP_STATE_UNAVAILABLE", "hot state store unavailable"));
    const flaky: VerificationProjection = {
      ...projection,
      apply: (...args) => (storeDown ? unavailable() : projection.apply(...args)),
      applyFresh: (...args) => (storeDown ? unavailable() : projection.applyFresh(...args)),
    };
    const bus = {
      ...platform.bus,
      publish: async (...args: Parameters<Platform["bus"]["publish"]>) => {
        await platform.bus.publish(...args);
        published.push(args[1]);
      },
    };
    issuance = issuanceWith({ bus, projection: flaky });
  });
  after(() => platform.close());

  const startRequest = (phone: string) =>
    StartVerificationRequest.fromPartial({
      phone,
      purpose: "login",
      locale: "en",
      idempotencyKey: `key-${phone}`,
    });

  it("a store failing after the publish: answers a start with the verification it published, and logs no phone", async () => {
    storeDown = true;
    const { state, reused } = await issuance.start(TENANT, startRequest("+6281234500001"));
    storeDown = false;
    assert.equal(reused, false);
    assert.equal(state.status, "pending");
    assert.equal(state.maskedPhone, "+62812****0001");
    const started = published.filter((e) => e.verificationId === state.id);
    assert.deepEqual(
      started.map((e) => e.event?.$case),
      ["verificationStarted"],
    );
    assert.ok(logs.some((l) => l.includes("the projector will write it") && l.includes(state.id)));
    assert.ok(!logs.some((l) => l.includes("+6281234500001")));
    // What the projector does with the event from the log, here by hand: then it is readable.
    assert.equal(await projection.read(state.id), undefined);
    await projection.apply(state.id, TENANT, started);
    assert.equal((await issuance.get(TENANT, state.id)).id, state.id);
  });

  it("answers a resend it published the same way", async () => {
    const { state } = await issuance.start(TENANT, startRequest("+6281234500002"));
    clock += 60_000; // past the resend cooldown
    storeDown = true;
    const after = await issuance.resend(TENANT, state.id, Channel.CHANNEL_SMS, "test").finally(() => {
      storeDown = false;
    });
    assert.equal(after.id, state.id);
    assert.deepEqual(
      published.filter((e) => e.verificationId === state.id).map((e) => e.event?.$case),
      ["verificationStarted", "resendRequested"],
    );
  });

  it("still refuses when the store fails before anything is published", async () => {
    const before = published.length;
    const store = {
      ...platform.store,
      run: () => Promise.reject(new OtpError("OTP_STATE_UNAVAILABLE", "down")),
    };
    // The limits, checked first, are where the store is met first.
    const failing = issuanceWith({
      store,
      guards: createAbuseGuards({ store, now, logger: platform.logger }),
    });
    await assert.rejects(failing.start(TENANT, startRequest("+6281234500003")), /down/);
    assert.equal(published.length, before);
  });

  describe("limits", () => {
    it("replaces an ended verification for the phone and purpose with a new one", async () => {
      const request = StartVerificationRequest.fromPartial({ phone: "+6281234500010", purpose: "login" });
      const first = await issuance.start(TENANT, request);
      assert.equal((await issuance.start(TENANT, request)).state.id, first.state.id, "live: reused");
      await issuance.cancel(TENANT, first.state.id, "test", "test");
      const second = await issuance.start(TENANT, request);
      assert.equal(second.reused, false);
      assert.notEqual(second.state.id, first.state.id);
      assert.equal(
        (await issuance.start(TENANT, request)).state.id,
        second.state.id,
        "the new one is active",
      );
    });

    it("a refused start claims no idempotency key: its retry is refused the same way, not kept waiting", async () => {
      const phone = "+6281234500011";
      const plain = StartVerificationRequest.fromPartial({ phone, purpose: "login" });
      for (let i = 0; i < 5; i++) {
        const { state } = await issuance.start(TENANT, plain);
        await issuance.cancel(TENANT, state.id, "test", "test");
      }
      const keyed = StartVerificationRequest.fromPartial({
        phone,
        purpose: "login",
        idempotencyKey: "retry-me",
      });
      const limited = { code: "OTP_RATE_LIMITED", message: "rate limit exceeded: verifications per phone" };
      await assert.rejects(issuance.start(TENANT, keyed), limited);
      await assert.rejects(issuance.start(TENANT, keyed), limited);
    });
  });

  it("counts a destination the screen refused as a guard block, as the guards' own refusals", async () => {
    const metrics = createMetrics({ service: "issuance-test", processMetrics: false });
    const app = createIssuanceApp(platform, { retentionMs: 3_600_000, metrics });
    const us = StartVerificationRequest.fromPartial({ phone: "+12025550123", purpose: "login" });
    await assert.rejects(app.issuance.start(TENANT, us), { code: "OTP_DESTINATION_BLOCKED" });
    assert.match(
      await metrics.registry.metrics(),
      /otp_guard_blocks_total\{guard="destination",reason="country_not_enabled",service="issuance-test"\} 1/,
    );
  });

  describe("a failed publish", () => {
    const make = (publish: Platform["bus"]["publish"]) =>
      issuanceWith({ bus: { ...platform.bus, publish }, publishDoubtMs: 300 });
    const brokerDown = () => Promise.reject(new Error("broker unreachable"));

    it("answers UNAVAILABLE, and frees the idempotency key once the write cannot land any more", async () => {
      const failing = make(brokerDown);
      const request = startRequest("+6281234500004");
      await assert.rejects(failing.start(TENANT, request), { code: "OTP_DEPENDENCY_UNAVAILABLE" });
      // A retry at once waits for the start the key names, which may still land.
      await assert.rejects(failing.start(TENANT, request), /still being created/);
      await sleep(350);
      const { state, reused } = await make((...args) => platform.bus.publish(...args)).start(TENANT, request);
      assert.equal(reused, false);
      assert.equal(state.status, "pending");
    });

    it("a write that landed after all keeps answering for its key", async () => {
      let landed: EventEnvelope | undefined;
      const inDoubt = make(async (topic, env, options) => {
        await platform.bus.publish(topic, env, options);
        landed = env;
        throw new Error("request timed out");
      });
      const request = startRequest("+6281234500005");
      await assert.rejects(inDoubt.start(TENANT, request), { code: "OTP_DEPENDENCY_UNAVAILABLE" });
      assert.ok(landed);
      // What the projector does when the event arrives.
      const projector = createProjector({ ...platform, projection, now, logger: platform.logger });
      await projector.handle({
        topic: platform.topics.verifications,
        partition: 0,
        offset: "0",
        key: landed.verificationId,
        envelope: landed,
        headers: {},
        redelivery: 0,
      });
      await sleep(350);
      const { state, reused } = await make((...args) => platform.bus.publish(...args)).start(TENANT, request);
      assert.equal(reused, true);
      assert.equal(state.id, landed.verificationId);
    });
  });
});
