/**
 * Two gateway replicas bound to the same SMSC account, sharing Kafka (one consumer group) and
 * Redis. The simulator sends every receipt on the other replica's bind: each is correlated
 * through the message map in the store.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { statusName } from "./fixtures";
import { startStack, type Stack } from "./stack";

let stack: Stack;

before(async () => {
  stack = await startStack({
    label: "replicas",
    instances: 2,
    scenario: { receiptsOnOtherBind: true, default: { receiptDelayMs: 50 } },
  });
});

after(async () => {
  await stack?.close();
});

it("a receipt arriving on another replica's bind is correlated via the store", async () => {
  const batch = await Promise.all(Array.from({ length: 8 }, () => stack.dispatch()));
  for (const sent of batch) {
    const reports = await stack.waitForReports(sent.verificationId, "DELIVERED", (r) =>
      r.some((x) => statusName(x.report) === "DELIVERED"),
    );
    assert.deepEqual(
      reports.map((r) => statusName(r.report)),
      ["ACCEPTED", "DELIVERED"],
    );
    assert.equal(stack.simulator.inbox.partCount(sent.phone), 1);
  }
  const [a, b] = stack.gateways.map((g) => g.snapshot().gateway);
  assert.ok(a && b);
  assert.equal(
    a.receiptsMatchedViaStore + b.receiptsMatchedViaStore,
    8,
    "every receipt came through the store",
  );
  assert.equal(a.receiptsMatchedLocally + b.receiptsMatchedLocally, 0);
  assert.equal(a.receiptsUnmatched + b.receiptsUnmatched, 0);
  assert.equal(a.dispatchesAccepted + b.dispatchesAccepted, 8);
});
