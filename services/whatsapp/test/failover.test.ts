import assert from "node:assert/strict";
import { it } from "node:test";
import { DeliveryStatus } from "@proto/otp/v1/common";
import { dispatchTo, eventually, receiptsOf, startStack } from "./harness";

const PRIMARY = "111111111111111";
const SECONDARY = "222222222222222";

it("fails over to the next sender while the primary is down, and back when it recovers", async () => {
  let offsetMs = 0;
  const now = () => Date.now() + offsetMs;
  const stack = await startStack({
    phoneNumberIds: [PRIMARY, SECONDARY],
    scenario: {
      default: { sentDelayMs: 5, deliveredDelayMs: 5, readDelayMs: 5 },
      outages: [{ phoneNumberIds: [PRIMARY], effect: "server-error", httpStatus: 503 }],
    },
    client: { retry: { maxAttempts: 2, initialDelayMs: 5, maxDelayMs: 10 } },
    breaker: { failureThreshold: 2, openMs: 60_000 },
    now,
  });
  const requestsTo = (id: string) => stack.simulator.stats().requestsByPhoneNumberId[id] ?? 0;
  const send = async () => {
    const d = dispatchTo("62812");
    await stack.connector.dispatch(d);
    const [first] = receiptsOf(stack, d.verificationId);
    assert.equal(first?.status, DeliveryStatus.DELIVERY_STATUS_ACCEPTED);
    return { d, route: first.route };
  };
  try {
    // The primary answers 503 (retried), the secondary carries the message to the handset.
    const first = await send();
    assert.equal(first.route, "sender-2");
    assert.equal(requestsTo(PRIMARY), 2);
    await eventually("delivered", () => stack.simulator.inbox.messages(first.d.phone).length === 1);
    assert.equal(stack.simulator.inbox.messages(first.d.phone)[0]?.phoneNumberId, SECONDARY);

    // A second failure opens the primary's breaker: it is no longer tried.
    assert.equal((await send()).route, "sender-2");
    assert.equal(stack.pool.states()["sender-1"], "open");
    const primaryRequests = requestsTo(PRIMARY);
    assert.equal((await send()).route, "sender-2");
    assert.equal(requestsTo(PRIMARY), primaryRequests);

    // The primary recovers, but stays skipped until its breaker lets a probe through.
    stack.simulator.setScenario({ default: stack.simulator.scenario.default });
    assert.equal((await send()).route, "sender-2");
    assert.equal(requestsTo(PRIMARY), primaryRequests);

    offsetMs += 61_000;
    assert.equal(stack.pool.states()["sender-1"], "half-open");
    assert.equal((await send()).route, "sender-1");
    assert.equal(stack.pool.states()["sender-1"], "closed");
    assert.equal((await send()).route, "sender-1");
  } finally {
    await stack.close();
  }
});

it("a recipient error does not fail over: another sender would fail the same way", async () => {
  const stack = await startStack({
    phoneNumberIds: [PRIMARY, SECONDARY],
    scenario: { failFirst: { count: 1, httpStatus: 400, code: 131026 } },
  });
  try {
    const d = dispatchTo("62812");
    await stack.connector.dispatch(d);
    assert.equal(receiptsOf(stack, d.verificationId)[0]?.reason, "WHATSAPP_131026");
    assert.equal(stack.simulator.stats().requestsByPhoneNumberId[SECONDARY], undefined);
  } finally {
    await stack.close();
  }
});

it("every sender down: FAILED TRANSIENT, reported for the last sender tried", async () => {
  const stack = await startStack({
    phoneNumberIds: [PRIMARY, SECONDARY],
    scenario: { outages: [{ effect: "server-error" }] },
    client: { retry: { maxAttempts: 1 } },
  });
  try {
    const d = dispatchTo("62812");
    await stack.connector.dispatch(d);
    const [receipt] = receiptsOf(stack, d.verificationId);
    assert.equal(receipt?.status, DeliveryStatus.DELIVERY_STATUS_FAILED);
    assert.equal(receipt?.reason, "WHATSAPP_2");
    assert.equal(receipt?.route, "sender-2");
  } finally {
    await stack.close();
  }
});
