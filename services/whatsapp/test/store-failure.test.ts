/**
 * A store that fails once the message has gone out (Redis restarting, say) must not fail the
 * dispatch: the bus would redeliver it, and if the store also lost the claim, send it twice.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { DeliveryStatus } from "@proto/otp/v1/common";
import { createMemoryCorrelation } from "../src/message-correlation";
import { dispatchTo, eventually, receiptsOf, startStack } from "./harness";

it("a wamid the store cannot take: the message is reported ACCEPTED and never sent twice", async () => {
  const memory = createMemoryCorrelation();
  const stack = await startStack({
    scenario: { default: { sentDelayMs: 5, deliveredDelayMs: 5, readDelayMs: 5 } },
    correlation: { ...memory, remember: () => Promise.reject(new Error("store unavailable")) },
    unknownStatusHoldMs: 50,
  });
  try {
    const d = dispatchTo("62812");
    await stack.connector.dispatch(d);
    assert.deepEqual(
      receiptsOf(stack, d.verificationId).map((r) => r.status),
      [DeliveryStatus.DELIVERY_STATUS_ACCEPTED],
    );
    await eventually("the message on the handset", () => stack.simulator.inbox.messages(d.phone).length > 0);
    assert.ok(stack.logs.some((l) => l.includes("whatsapp message id not remembered")));
    // Its statuses cannot be matched to the attempt: dropped, and the step's timer decides.
    await eventually("the unmatched statuses dropped", () =>
      stack.logs.some((l) => l.includes("whatsapp status for an unknown message dropped")),
    );
    await stack.connector.dispatch(d);
    assert.ok(stack.logs.some((l) => l.includes("already handled")));
    assert.equal(stack.simulator.inbox.messages(d.phone).length, 1);
  } finally {
    await stack.close();
  }
});
