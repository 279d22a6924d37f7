/**
 * Which receipt ends an attempt, on the in-process store: a one-part message's first final
 * receipt, without a store script, its copies dropped; a message of several parts through the
 * final-receipt script, at its last delivered part.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { silentLogger } from "@platform/log";
import { createMemoryStore } from "@platform/store/memory";
import type { Store } from "@platform/store/port";
import type { DeliveryReceipt } from "../delivery-receipt";
import type { GatewayMetrics } from "../metrics/gateway-metrics";
import type { PartContext } from "../smsc-pool";
import type { AcceptedGate } from "./accepted-gate";
import type { AttemptLedger } from "./attempt-ledger";
import type { AttemptRef } from "./attempt-ref";
import type { MessageMap } from "./message-map";
import type { ReportOutcome } from "./outcomes";
import { createReceiptReporter } from "./receipt-reporter";
import type { SubmitContext } from "./sms-submitter";

const ref = (verificationId: string): AttemptRef => ({
  verificationId,
  attempt: 1,
  tenant: "bank-a",
  district: "ID-JK",
  operator: "telkomsel",
  route: "sim",
  causationId: "evt-1",
  expiresAtMs: Date.now() + 300_000,
});

const part = (verificationId: string, partIndex: number, partCount: number): PartContext<SubmitContext> => ({
  context: { ref: ref(verificationId), account: "sim", submittedAtMs: Date.now() },
  partIndex,
  partCount,
  messageId: `${verificationId}-${partIndex}`,
  bind: "sim-1",
});

const delivered = (messageId: string): DeliveryReceipt => ({
  messageId,
  status: "delivered",
  final: true,
  errorCode: undefined,
  submitDate: undefined,
  doneDate: undefined,
});

function rig() {
  const store = createMemoryStore({ prefix: "t:" });
  const scripts: string[] = [];
  const counting: Store = {
    ...store,
    run: (script, input) => (scripts.push(script.name), store.run(script, input)),
  };
  const published: { verificationId: string; outcome: ReportOutcome }[] = [];
  const gate: AcceptedGate = {
    open: () => () => undefined,
    wait: async () => undefined,
    isOpen: () => false,
  };
  const reporter = createReceiptReporter({
    store: counting,
    ledger: {} as AttemptLedger,
    messageMap: {} as MessageMap,
    gate,
    publish: async (r, outcome) => void published.push({ verificationId: r.verificationId, outcome }),
    metrics: { receipt: () => undefined, count: () => undefined } as unknown as GatewayMetrics,
    logger: silentLogger(),
    now: Date.now,
    receiptLookupMs: 100,
    stateGraceMs: 60_000,
  });
  return { reporter, scripts, published };
}

describe("receipt reporter", () => {
  it("ends a one-part message at its first receipt, without a store script, and drops its copies", async () => {
    const { reporter, scripts, published } = rig();
    const single = part("ver_one", 0, 1);
    reporter.matched(single, delivered(single.messageId));
    reporter.matched(single, delivered(single.messageId));
    await reporter.drain();
    assert.deepEqual(
      published.map((p) => p.verificationId),
      ["ver_one"],
    );
    assert.deepEqual(scripts, [], "no store command for a one-part message");
  });

  it("ends a message of two parts at its last delivered part, through the final-receipt script", async () => {
    const { reporter, scripts, published } = rig();
    const [first, second] = [part("ver_two", 0, 2), part("ver_two", 1, 2)];
    reporter.matched(first, delivered(first.messageId));
    await reporter.drain();
    assert.equal(published.length, 0, "one part of two delivered: not yet");
    reporter.matched(second, delivered(second.messageId));
    reporter.matched(second, delivered(second.messageId));
    await reporter.drain();
    assert.deepEqual(
      published.map((p) => p.verificationId),
      ["ver_two"],
    );
    assert.deepEqual(scripts, ["smsFinalReceipt", "smsFinalReceipt", "smsFinalReceipt"]);
  });
});
