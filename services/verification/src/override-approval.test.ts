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
import { newVerificationId } from "@platform/events/envelope";
import { createMemoryStore } from "@platform/store/memory";
import { createVerificationProjection } from "@verification-state/projection";
import { cancelledVerification } from "@test/support/cancelled-verification";
import { silentLogger } from "@platform/log";
import { createConversionTally } from "./conversion-tally";
import { createVerificationService } from "./verification-service";

const TENANT = "bank-a";
const REASON = "customer identified by branch video call";

async function setup() {
  const secrets = secretsFromEnv({}, { allowEphemeral: true });
  const store = createMemoryStore({ prefix: "override-test:" });
  const projection = createVerificationProjection({ store, secrets, retentionMs: 3_600_000 });
  const verificationId = newVerificationId();
  // Its first event alone: a verification started and still open.
  const [started] = cancelledVerification(secrets, verificationId, {
    tenant: TENANT,
    phone: "+6281234567890",
  });
  await projection.apply(verificationId, TENANT, [started!]);
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
    conversions: createConversionTally(store, silentLogger()),
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
