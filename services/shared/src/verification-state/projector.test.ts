/**
 * The projector folds a fetched batch: one read and one write per verification, whatever the
 * number of its events, and the same stored state and lookup keys as one event at a time.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RoutePlanned, type EventEnvelope } from "@proto/otp/events/v1/events";
import type { BusMessage, EventBus } from "@platform/bus/port";
import { secretsFromEnv } from "@platform/crypto/keys";
import { sealedField } from "@platform/crypto/sealer";
import { envelope, newVerificationId, type EventBody } from "@platform/events/envelope";
import { topicNames } from "@platform/bus/topics";
import { silentLogger } from "@platform/log";
import { createMemoryStore } from "@platform/store/memory";
import type { Store } from "@platform/store/port";
import { lifecycleMetrics, observeLifecycle } from "@services/verification/src/lifecycle-metrics";
import { createMetrics } from "@platform/telemetry/metrics";
import { createVerificationProjection } from "./projection";
import { activeKey, createProjector } from "./projector";

const TENANT = "bank-a";
const PHONE = "+6281234567890";

function setup() {
  const processMetrics = createMetrics({ service: "projector-test", processMetrics: false });
  const metrics = processMetrics.declare(lifecycleMetrics);
  const secrets = secretsFromEnv({}, { allowEphemeral: true });
  const store = createMemoryStore({ prefix: "projector-test:" });
  const scripts: string[] = [];
  // Counts the store's script calls: the real store underneath.
  const counted: Store = {
    ...store,
    run: (script, input) => {
      scripts.push(script.name);
      return store.run(script, input);
    },
  };
  const projection = createVerificationProjection({ store: counted, secrets, retentionMs: 3_600_000 });
  const projector = createProjector({
    bus: {} as EventBus,
    store: counted,
    projection: observeLifecycle(projection, metrics, Date.now),
    secrets,
    topics: topicNames(""),
    logger: silentLogger(),
    now: Date.now,
  });
  return { secrets, store, projection, projector, scripts, metrics };
}

function lifecycle(secrets: ReturnType<typeof setup>["secrets"], verificationId: string): EventEnvelope[] {
  const at = new Date();
  const seal = (value: string, field: "phone" | "code") =>
    secrets.sealer.seal(value, sealedField(verificationId, field));
  const bodies: EventBody[] = [
    {
      $case: "verificationStarted",
      value: {
        phone: seal(PHONE, "phone"),
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
    { $case: "routePlanned", value: RoutePlanned.fromPartial({ reason: "test" }) },
    { $case: "verificationCancelled", value: { reason: "test", by: "test" } },
  ];
  return bodies.map((body) => envelope({ verificationId, tenant: TENANT, at }, body));
}

const asMessages = (envs: EventEnvelope[]): BusMessage[] =>
  envs.map((env, i) => ({
    topic: "t",
    partition: 0,
    offset: String(i),
    key: env.verificationId,
    envelope: env,
    headers: {},
    redelivery: 0,
  }));

describe("projector", () => {
  it("folds a verification's events in one batch into one read and one write", async () => {
    const { secrets, store, projection, projector, scripts } = setup();
    const a = newVerificationId();
    const b = newVerificationId();
    const [aStart, aPlan, aCancel] = lifecycle(secrets, a);
    const [bStart] = lifecycle(secrets, b);
    await projector.handleBatch(asMessages([aStart!, bStart!, aPlan!, aCancel!]));

    const count = (name: string) => scripts.filter((s) => s === name).length;
    assert.equal(count("otpReadProjection"), 2, "one read per verification");
    assert.equal(count("otpProjectVerification"), 2, "one write per verification");
    assert.equal((await projection.read(a))?.status, "cancelled");
    assert.equal((await projection.read(b))?.status, "pending");
    // As one event at a time: the start restores the lookup key, the verification being live
    // right after it, though the batch ended it.
    const phoneKey = secrets.hasher.lookup("phone", PHONE);
    assert.equal(await store.get(store.key(activeKey(TENANT, phoneKey, "login"))), a);
  });

  it("records each event's outcome metrics with the state right after it", async () => {
    const { secrets, projector, metrics } = setup();
    await projector.handleBatch(asMessages(lifecycle(secrets, newVerificationId())));
    const finished = await metrics.verificationsFinished.get();
    assert.deepEqual(
      finished.values.map((v) => [v.labels, v.value]),
      [[{ purpose: "login", outcome: "cancelled" }, 1]],
    );
  });

  it("writes nothing for events it has applied before", async () => {
    const { secrets, projector, scripts } = setup();
    const events = lifecycle(secrets, newVerificationId());
    await projector.handleBatch(asMessages(events));
    scripts.length = 0;
    await projector.handleBatch(asMessages(events));
    assert.deepEqual(scripts, ["otpReadProjection"]);
  });
});
