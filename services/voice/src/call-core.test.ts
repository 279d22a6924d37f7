import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DeliveryStatus as S, FailureClass as F } from "@proto/otp/v1/common";
import { createCallPacer } from "./call-pacer";
import { createMemoryCallRegistry } from "./call-registry";
import { mapCallStatus } from "./call-status-mapping";

describe("call status mapping", () => {
  it("maps each status", () => {
    const table: Array<[Parameters<typeof mapCallStatus>[0], S, F, string]> = [
      ["queued", S.DELIVERY_STATUS_QUEUED, F.FAILURE_CLASS_UNSPECIFIED, ""],
      ["initiated", S.DELIVERY_STATUS_ACCEPTED, F.FAILURE_CLASS_UNSPECIFIED, ""],
      ["ringing", S.DELIVERY_STATUS_SENT, F.FAILURE_CLASS_UNSPECIFIED, ""],
      ["in-progress", S.DELIVERY_STATUS_DELIVERED, F.FAILURE_CLASS_UNSPECIFIED, ""],
      ["completed", S.DELIVERY_STATUS_READ, F.FAILURE_CLASS_UNSPECIFIED, ""],
      ["busy", S.DELIVERY_STATUS_FAILED, F.FAILURE_CLASS_PERMANENT, "VOICE_BUSY"],
      ["no-answer", S.DELIVERY_STATUS_FAILED, F.FAILURE_CLASS_PERMANENT, "VOICE_NO_ANSWER"],
      ["failed", S.DELIVERY_STATUS_FAILED, F.FAILURE_CLASS_PERMANENT, "VOICE_FAILED"],
      ["canceled", S.DELIVERY_STATUS_CANCELLED, F.FAILURE_CLASS_UNSPECIFIED, "VOICE_CANCELED"],
    ];
    for (const [status, delivery, failureClass, reason] of table) {
      assert.deepEqual(mapCallStatus(status), { status: delivery, failureClass, reason }, status);
    }
  });
});

describe("call registry", () => {
  it("keeps the newest status of each call even when callbacks arrive out of order", async () => {
    const registry = createMemoryCallRegistry();
    await registry.track("v1", { callId: "CA1", attempt: 1, status: "queued" }, 60_000);
    await registry.track("v1", { callId: "CA1", attempt: 1, status: "in-progress" }, 60_000);
    await registry.track("v1", { callId: "CA1", attempt: 1, status: "ringing" }, 60_000);
    await registry.track("v1", { callId: "CA2", attempt: 2, status: "ringing" }, 60_000);
    assert.deepEqual(await registry.callsOf("v1"), [
      { callId: "CA1", attempt: 1, status: "in-progress" },
      { callId: "CA2", attempt: 2, status: "ringing" },
    ]);
  });

  it("claims an attempt once and remembers cancellations until they expire", async () => {
    let t = 0;
    const registry = createMemoryCallRegistry({ now: () => t });
    assert.equal(await registry.claimAttempt("v1", 1, 100), true);
    assert.equal(await registry.claimAttempt("v1", 1, 100), false);
    await registry.markCancelled("v1", 100);
    assert.equal(await registry.isCancelled("v1"), true);
    t = 100;
    assert.equal(await registry.isCancelled("v1"), false);
  });
});

describe("call pacer", () => {
  it("spaces calls evenly at the rate", () => {
    const pacer = createCallPacer(3);
    assert.deepEqual(
      [0, 0, 0, 0].map(() => pacer.reserve(0)),
      [0, 334, 667, 1000],
    );
    assert.equal(pacer.delay(0), 1334);
    assert.equal(pacer.reserve(5_000), 0);
  });
});
