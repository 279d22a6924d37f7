/**
 * A support override's approval takes the pending request before it acts. Until the override is
 * on the log, a failure (the store not reading the verification, the log refusing the event)
 * puts the request back, so the second agent can simply approve again.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EventEnvelope } from "@proto/otp/events/v1/events";
import { OtpError } from "@domain/errors";
import { DEFAULT_POLICY } from "@domain/policy/defaults";
import { createPolicyBook } from "@domain/policy/policy-book";
import type { EventBus } from "@platform/bus/port";
import { topicNames } from "@platform/bus/topics";
import { secretsFromEnv } from "@platform/crypto/keys";
import { sealedField } from "@platform/crypto/sealer";
import { envelope, newVerificationId } from "@platform/events/envelope";
import { createMemoryStore } from "@platform/store/memory";
import { createVerificationProjection } from "@verification-state/projection";
import { createVerificationService } from "./verification-service";

const TENANT = "bank-a";
const REASON = "customer identified by branch video call";

async function setup() {
  const secrets = secretsFromEnv({}, { allowEphemeral: true });
  const store = createMemoryStore({ prefix: "override-test:" });
  const projection = createVerificationProjection({ store, secrets, retentionMs: 3_600_000 });
  const verificationId = newVerificationId();
  const at = new Date();
  const seal = (value: string, field: "phone" | "code") =>
    secrets.sealer.seal(value, sealedField(verificationId, field));
  const started = envelope(
    { verificationId, tenant: TENANT, at },
    {
      $case: "verificationStarted",
      value: {
        phone: seal("+6281234567890", "phone"),
        maskedPhone: "+62812****7890",
        country: "ID",
        operator: "",
        district: "",
        purpose: "login",
        riskTier: 0,
        locale: "id",
        channelPreference: 0,
        code: seal("123456", "code"),
        codeLength: 6,
        expiresAt: new Date(at.getTime() + 300_000),
        maxChecks: 5,
        maxSends: 3,
        codePerAttempt: false,
        transaction: undefined,
        hasTransactionBinding: false,
        idempotencyKeyHash: "",
        idempotencyFingerprint: "",
        resendCooldownSeconds: 30,
        numberType: "mobile",
        resendUntil: new Date(at.getTime() + 300_000),
        silentGateway: "",
        silentSkippedReason: "",
      },
    },
  );
  await projection.apply(verificationId, TENANT, [started]);
  const faults = { reads: 0, publishes: 0 };
  const published: EventEnvelope[] = [];
  const bus = {
    publishBatch: async (messages: { envelope: EventEnvelope }[]) => {
      if (faults.publishes > 0) {
        faults.publishes--;
        throw new Error("broker unreachable");
      }
      published.push(...messages.map((m) => m.envelope));
    },
  } as unknown as EventBus;
  const service = createVerificationService({
    bus,
    store,
    projection: {
      ...projection,
      read: async (id) => {
        if (faults.reads > 0) {
          faults.reads--;
          throw new OtpError("OTP_STATE_UNAVAILABLE", "hot state store unavailable");
        }
        return projection.read(id);
      },
    },
    secrets,
    policies: createPolicyBook(DEFAULT_POLICY, {}),
    topics: topicNames(""),
    now: Date.now,
  });
  return { service, faults, published, verificationId };
}

describe("override approval after a failure", () => {
  it("the store failing to read the verification leaves the request for the next approval", async () => {
    const { service, faults, published, verificationId } = await setup();
    const { overrideId } = await service.requestOverride("alice", verificationId, REASON);
    faults.reads = 1;
    await assert.rejects(service.approveOverride("bob", overrideId), /hot state store unavailable/);
    assert.equal(published.length, 0);
    const state = await service.approveOverride("bob", overrideId);
    assert.equal(state.status, "verified");
    assert.equal(published.length, 1);
    await assert.rejects(service.approveOverride("carol", overrideId), /not found or expired/);
  });

  it("the log refusing the override leaves the request too", async () => {
    const { service, faults, published, verificationId } = await setup();
    const { overrideId } = await service.requestOverride("alice", verificationId, REASON);
    faults.publishes = 1;
    await assert.rejects(service.approveOverride("bob", overrideId), /event log unavailable/);
    await service.approveOverride("bob", overrideId);
    assert.equal(published.length, 1);
  });
});
