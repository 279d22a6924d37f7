import assert from "node:assert/strict";
import { it } from "node:test";
import type { DeliveryReceipt } from "./delivery-receipt";
import { createReceiptCorrelator, type ReceiptMatch } from "./receipt-correlator";

const receipt = (messageId: string, final = true): DeliveryReceipt => ({
  messageId,
  status: final ? "delivered" : "enroute",
  final,
  errorCode: undefined,
  submitDate: undefined,
  doneDate: undefined,
});

function setup() {
  let now = 0;
  const matched: Array<ReceiptMatch<string>> = [];
  const unmatched: DeliveryReceipt[] = [];
  const correlator = createReceiptCorrelator<string>({
    holdMs: 1_000,
    submittedTtlMs: 10_000,
    maxEntries: 100,
    now: () => now,
    onMatched: (m) => matched.push(m),
    onUnmatched: (r) => unmatched.push(r),
  });
  return { correlator, matched, unmatched, advance: (ms: number) => (now += ms) };
}

it("a receipt after the response matches at once", () => {
  const { correlator, matched } = setup();
  correlator.recordSubmitted("1A2B", "verification-1");
  correlator.receiptArrived(receipt("6699"));
  assert.deepEqual(
    matched.map((m) => m.context),
    ["verification-1"],
  );
  assert.equal(correlator.counts.submitted, 0, "final receipt ends tracking");
});

it("a receipt before the response is held, then matched", () => {
  const { correlator, matched } = setup();
  correlator.receiptArrived(receipt("6699", false));
  correlator.receiptArrived(receipt("6699"));
  assert.equal(matched.length, 0);
  correlator.recordSubmitted("1A2B", "v");
  assert.deepEqual(
    matched.map((m) => m.receipt.status),
    ["enroute", "delivered"],
  );
  assert.deepEqual(correlator.counts, { submitted: 0, heldReceipts: 0 });
});

it("held receipts expire as unmatched; submitted ids expire too", () => {
  const { correlator, matched, unmatched, advance } = setup();
  correlator.receiptArrived(receipt("42"));
  correlator.recordSubmitted("43", "v");
  advance(1_001);
  correlator.sweep();
  assert.equal(unmatched.length, 1);
  correlator.recordSubmitted("42", "late");
  assert.equal(matched.length, 0);
  advance(10_000);
  correlator.sweep();
  assert.equal(correlator.counts.submitted, 0);
});

it("exact ids win over numeric coincidences", () => {
  const { correlator, matched } = setup();
  correlator.recordSubmitted("10", "hex-ten"); // hex 10 = decimal 16
  correlator.recordSubmitted("16", "sixteen");
  correlator.receiptArrived(receipt("16"));
  assert.equal(matched[0]?.context, "sixteen");
});
