import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import type { DeliveryReceipt } from "../src/delivery-receipt";
import type { SmscSession } from "../src/smsc-session";
import type { SmscSimulator } from "../src/simulator/smsc-simulator";
import { eventually, randomPhone, sessionTo, startSimulator } from "./harness";

let simulator: SmscSimulator;
let session: SmscSession;
const receipts: DeliveryReceipt[] = [];

before(async () => {
  simulator = await startSimulator({ default: { receiptDelayMs: 10 } });
  session = sessionTo(simulator, { onReceipt: (receipt) => receipts.push(receipt) });
  await session.waitUntilBound(5_000);
});

after(async () => {
  await session.close();
  await simulator.close();
});

it("a GSM message reaches the handset and its receipt comes back", async () => {
  const phone = randomPhone();
  const result = await session.submit({
    source: "MyBank",
    destination: `+${phone}`,
    text: "Your code is 123456. Valid 5 min {ref} €",
    validityPeriodSeconds: 300,
  });
  assert.equal(result.messageIds.length, 1);
  await eventually("receipt", () => receipts.some((r) => r.messageId === result.messageIds[0]));
  const [message] = simulator.inbox.messages(phone);
  assert.equal(message?.text, "Your code is 123456. Valid 5 min {ref} €");
  assert.equal(message?.from, "MyBank");
  assert.equal(receipts.find((r) => r.messageId === result.messageIds[0])?.status, "delivered");
  assert.equal(session.stats().state, "bound");
});
