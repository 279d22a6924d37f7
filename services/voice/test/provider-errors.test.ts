import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DeliveryStatus as S, FailureClass as F } from "@proto/otp/v1/common";
import { createMemoryCallRegistry, createMemoryPendingReadings } from "../src/call-registry";
import type { Scenario } from "../src/simulator/scenario";
import { receiptsOf, startVoiceStack, voiceDispatch, type VoiceStackOptions } from "./harness";

async function callOnce(scenario: Scenario, options: VoiceStackOptions = {}, phone?: string) {
  const stack = await startVoiceStack({ scenario, ...options });
  try {
    const d = voiceDispatch("62812", phone === undefined ? {} : { phone });
    await stack.connector.dispatch(d);
    return {
      requests: stack.simulator.stats().requests,
      created: stack.simulator.stats().created,
      receipts: receiptsOf(stack, d.verificationId).map((r) => [r.status, r.failureClass, r.reason]),
    };
  } finally {
    await stack.close();
  }
}

describe("provider errors", () => {
  it("retries 429 (20429) and 5xx, then places the call", async () => {
    for (const [httpStatus, code] of [
      [429, 20429],
      [503, 20500],
    ] as const) {
      const result = await callOnce({ failFirst: { count: 1, httpStatus, code } });
      assert.equal(result.requests, 2);
      assert.equal(result.created, 1);
      assert.equal(result.receipts[0]?.[0], S.DELIVERY_STATUS_ACCEPTED);
    }
  });

  it("an API outage after the retries: FAILED TRANSIENT", async () => {
    const result = await callOnce({ outages: [{ effect: "api-error" }] });
    assert.equal(result.requests, 3);
    assert.deepEqual(result.receipts, [
      [S.DELIVERY_STATUS_FAILED, F.FAILURE_CLASS_TRANSIENT, "VOICE_TWILIO_20500"],
    ]);
  });

  it("an invalid number (21211) is not retried: FAILED PERMANENT", async () => {
    const result = await callOnce({}, {}, "+12");
    assert.equal(result.requests, 1);
    assert.deepEqual(result.receipts, [
      [S.DELIVERY_STATUS_FAILED, F.FAILURE_CLASS_PERMANENT, "VOICE_TWILIO_21211"],
    ]);
  });

  it("bad credentials (20003): FAILED PERMANENT", async () => {
    const result = await callOnce({}, { adapter: { authToken: "wrong" } });
    assert.deepEqual(result.receipts, [
      [S.DELIVERY_STATUS_FAILED, F.FAILURE_CLASS_PERMANENT, "VOICE_TWILIO_20003"],
    ]);
  });

  it("never calls with an expired code", async () => {
    const stack = await startVoiceStack();
    try {
      const d = voiceDispatch("62812", { expiresAt: new Date(Date.now() + 10_000) });
      await stack.connector.dispatch(d);
      assert.equal(stack.simulator.stats().requests, 0);
      assert.deepEqual(
        receiptsOf(stack, d.verificationId).map((r) => r.reason),
        ["CODE_EXPIRED"],
      );
    } finally {
      await stack.close();
    }
  });
});

describe("calls per second", () => {
  it("the default 3 calls/s keeps under the provider's limit; beyond the queue bound, a local throttle", async () => {
    const stack = await startVoiceStack({
      scenario: { callsPerSecond: 4 },
      connector: { callsPerSecond: undefined, maxQueueDelayMs: 1_500 },
    });
    try {
      const dispatches = Array.from({ length: 7 }, () => voiceDispatch("62812"));
      await Promise.all(dispatches.map((d) => stack.connector.dispatch(d)));
      const stats = stack.simulator.stats();
      assert.equal(stats.rejected["20429"], undefined);
      const reasons = dispatches.map((d) => receiptsOf(stack, d.verificationId)[0]?.reason);
      assert.equal(stats.created, reasons.filter((r) => r === "").length);
      assert.ok(reasons.includes("VOICE_LOCAL_THROTTLE"), "calls beyond the queue bound are refused locally");
    } finally {
      await stack.close();
    }
  });
});

describe("a store failing after the call is placed", () => {
  it("reports the call ACCEPTED instead of failing the dispatch, so it is never placed twice", async () => {
    const registry = createMemoryCallRegistry();
    const readings = createMemoryPendingReadings();
    const down = () => Promise.reject(new Error("store unavailable"));
    const stack = await startVoiceStack({
      keyPress: true,
      connector: { registry: { ...registry, track: down }, readings: { ...readings, put: down } },
    });
    try {
      const d = voiceDispatch();
      await stack.connector.dispatch(d);
      assert.equal(stack.simulator.stats().created, 1);
      assert.deepEqual(
        receiptsOf(stack, d.verificationId).map((r) => r.status),
        [S.DELIVERY_STATUS_ACCEPTED],
      );
      assert.ok(stack.logs.some((l) => l.includes("voice call not tracked")));
      assert.ok(stack.logs.some((l) => l.includes("voice call reading not kept")));
      // The claim survived: the bus delivering the dispatch again places nothing.
      await stack.connector.dispatch(d);
      assert.equal(stack.simulator.stats().created, 1);
    } finally {
      await stack.close();
    }
  });
});
