/**
 * Outcome metrics from the projector: each event counted with the verification's state right
 * after it, and a verified code credited to the attempt the user read it from.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Channel, DeliveryStatus, FailureClass } from "@proto/otp/v1/common";
import { initialState, type AttemptState } from "@domain/verification";
import type { EventBus } from "@platform/bus/port";
import { topicNames } from "@platform/bus/topics";
import { secretsFromEnv } from "@platform/crypto/keys";
import { newVerificationId } from "@platform/events/envelope";
import { silentLogger } from "@platform/log";
import { createMemoryStore } from "@platform/store/memory";
import { createMetrics } from "@platform/telemetry/metrics";
import { createVerificationProjection } from "@verification-state/projection";
import { createProjector } from "@verification-state/projector";
import { asBusMessages, cancelledVerification } from "@test/support/cancelled-verification";
import { attributedAttempt, lifecycleMetrics, observeLifecycle } from "./lifecycle-metrics";

const attempt = (n: number, over: Partial<AttemptState> = {}): AttemptState => ({
  attempt: n,
  channel: Channel.CHANNEL_SMS,
  route: "sms-id",
  status: DeliveryStatus.DELIVERY_STATUS_ACCEPTED,
  failureClass: FailureClass.FAILURE_CLASS_UNSPECIFIED,
  reason: "",
  operator: "id-telkomsel",
  requestedAt: 1_000,
  ...over,
});

function setup() {
  const processMetrics = createMetrics({ service: "projector-test", processMetrics: false });
  const metrics = processMetrics.declare(lifecycleMetrics);
  const secrets = secretsFromEnv({}, { allowEphemeral: true });
  const store = createMemoryStore({ prefix: "projector-test:" });
  const projection = createVerificationProjection({ store, secrets, retentionMs: 3_600_000 });
  const projector = createProjector({
    bus: {} as EventBus,
    store,
    projection: observeLifecycle(projection, metrics, Date.now),
    secrets,
    topics: topicNames(""),
    logger: silentLogger(),
    now: Date.now,
  });
  return { secrets, projector, metrics };
}

describe("lifecycle metrics", () => {
  it("records each event's outcome metrics with the state right after it", async () => {
    const { secrets, projector, metrics } = setup();
    await projector.handleBatch(
      asBusMessages(
        cancelledVerification(secrets, newVerificationId(), { tenant: "bank-a", phone: "+6281234567890" }),
      ),
    );
    const finished = await metrics.verificationsFinished.get();
    assert.deepEqual(
      finished.values.map((v) => [v.labels, v.value]),
      [[{ purpose: "login", outcome: "cancelled" }, 1]],
    );
  });

  it("credits a verified code to the attempt that delivered it", () => {
    const state = {
      ...initialState("ver_x", "acme"),
      attempts: [
        attempt(1, { channel: Channel.CHANNEL_WHATSAPP, status: DeliveryStatus.DELIVERY_STATUS_FAILED }),
        attempt(2, { deliveredAt: 5_000, status: DeliveryStatus.DELIVERY_STATUS_DELIVERED }),
      ],
    };
    // One code for every attempt: matched "attempt 1" is the code's origin, not where it was read.
    assert.equal(attributedAttempt(state, 1)?.attempt, 2);
    // A code per attempt: the attempt whose code matched.
    assert.equal(attributedAttempt({ ...state, codePerAttempt: true }, 1)?.attempt, 1);
    assert.equal(attributedAttempt({ ...state, attempts: [] }, 1), undefined);
  });
});
