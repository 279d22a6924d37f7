import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DeliveryStatus as S, FailureClass as F } from "@proto/otp/v1/common";
import type { Scenario } from "../src/simulator/scenario";
import { dispatchTo, receiptsOf, startStack, type StackOptions } from "./harness";

const SENDER = "100000000000001";

/** Sends one dispatch under `scenario`; returns the requests the simulator saw and the receipts. */
async function sendOnce(scenario: Scenario, options: StackOptions = {}) {
  const stack = await startStack({ scenario, ...options });
  try {
    const d = dispatchTo("62812");
    const startedAt = Date.now();
    await stack.connector.dispatch(d);
    return {
      elapsedMs: Date.now() - startedAt,
      requests: stack.simulator.stats().requestsByPhoneNumberId[SENDER] ?? 0,
      receipts: receiptsOf(stack, d.verificationId).map((r) => [r.status, r.failureClass, r.reason]),
    };
  } finally {
    await stack.close();
  }
}

const accepted = [S.DELIVERY_STATUS_ACCEPTED, F.FAILURE_CLASS_UNSPECIFIED, ""];

describe("retries", () => {
  it("retries 429 / 130429 and succeeds", async () => {
    const result = await sendOnce({ failFirst: { count: 2, httpStatus: 429, code: 130429 } });
    assert.equal(result.requests, 3);
    assert.deepEqual(result.receipts, [accepted]);
  });

  it("honours Retry-After on 429", async () => {
    const result = await sendOnce({
      failFirst: { count: 1, httpStatus: 429, code: 130429 },
      retryAfterSeconds: 1,
    });
    assert.equal(result.requests, 2);
    assert.ok(result.elapsedMs >= 950, `waited only ${result.elapsedMs} ms`);
  });

  for (const code of [131056, 80007]) {
    it(`retries rate limit ${code}`, async () => {
      const result = await sendOnce({ failFirst: { count: 1, httpStatus: 400, code } });
      assert.equal(result.requests, 2);
      assert.deepEqual(result.receipts, [accepted]);
    });
  }

  it("retries 5xx and succeeds", async () => {
    const result = await sendOnce({ failFirst: { count: 2, httpStatus: 503, code: 2 } });
    assert.equal(result.requests, 3);
    assert.deepEqual(result.receipts, [accepted]);
  });

  it("gives up after the last attempt: FAILED TRANSIENT", async () => {
    const result = await sendOnce(
      { failFirst: { count: 10, httpStatus: 500, code: 131000 } },
      { client: { retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 20 } } },
    );
    assert.equal(result.requests, 3);
    assert.deepEqual(result.receipts, [
      [S.DELIVERY_STATUS_FAILED, F.FAILURE_CLASS_TRANSIENT, "WHATSAPP_131000"],
    ]);
  });

  const permanent: Array<[number, number]> = [
    [131026, 400],
    [132000, 400],
    [132001, 404],
    [131047, 400],
    [100, 400],
    [190, 401],
  ];
  for (const [code, httpStatus] of permanent) {
    it(`does not retry permanent error ${code}`, async () => {
      const result = await sendOnce({ failFirst: { count: 1, httpStatus, code } });
      assert.equal(result.requests, 1);
      assert.deepEqual(result.receipts, [
        [S.DELIVERY_STATUS_FAILED, F.FAILURE_CLASS_PERMANENT, `WHATSAPP_${code}`],
      ]);
    });
  }

  it("reports an unreachable API as FAILED TRANSIENT WHATSAPP_NETWORK", async () => {
    const result = await sendOnce(
      {},
      { client: { baseUrl: "http://127.0.0.1:9", retry: { maxAttempts: 2, initialDelayMs: 5 } } },
    );
    assert.deepEqual(result.receipts, [
      [S.DELIVERY_STATUS_FAILED, F.FAILURE_CLASS_TRANSIENT, "WHATSAPP_NETWORK"],
    ]);
  });
});

describe("per-sender throughput", () => {
  const burst = async (messagesPerSecond: number) => {
    const stack = await startStack({
      scenario: { rateLimitPerSecond: 10 },
      client: { messagesPerSecond, maxQueueDelayMs: 10_000, retry: { maxAttempts: 1 } },
    });
    try {
      await Promise.all(Array.from({ length: 15 }, () => stack.connector.dispatch(dispatchTo("62812"))));
      return stack.simulator.stats();
    } finally {
      await stack.close();
    }
  };

  it("the token bucket keeps a sender under the API's rate limit", async () => {
    const stats = await burst(5);
    assert.equal(stats.rejected["130429"], undefined);
    assert.equal(stats.accepted, 15);
  });

  it("without it the API rate-limits the burst (the check above can fail)", async () => {
    const stats = await burst(1_000);
    assert.ok((stats.rejected["130429"] ?? 0) > 0);
  });
});
