import assert from "node:assert/strict";
import { it } from "node:test";
import type { DeliveryReceipt } from "../src/delivery-receipt";
import { createSmscPool, type PartContext } from "../src/smsc-pool";
import type { Scenario } from "../src/simulator/scenario";
import type { SmscSimulator } from "../src/simulator/smsc-simulator";
import { PASSWORD, SYSTEM_ID, eventually, randomPhone, startSimulator } from "./harness";

interface Matched {
  part: PartContext<string>;
  receipt: DeliveryReceipt;
}

function poolFor(
  simulator: SmscSimulator,
  modes: Array<"transceiver" | "transmitter" | "receiver">,
  matched: Matched[],
) {
  return createSmscPool<string>({
    binds: modes.map((mode, i) => ({
      name: `bind-${i}-${mode}`,
      host: "127.0.0.1",
      port: simulator.port,
      bind: { mode, systemId: SYSTEM_ID, password: PASSWORD },
      messagesPerSecond: 500,
      window: 20,
      reconnect: { initialMs: 50, maxMs: 500 },
    })),
    holdReceiptMs: 5_000,
    onReceipt: (part, receipt) => matched.push({ part, receipt }),
  });
}

async function sendAndMatch(scenario: Scenario, modes: Array<"transceiver" | "transmitter" | "receiver">) {
  const simulator = await startSimulator(scenario);
  const matched: Matched[] = [];
  const pool = poolFor(simulator, modes, matched);
  try {
    await pool.waitUntilBound(5_000);
    const ids = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const result = await pool.submit(
          { source: "MyBank", destination: randomPhone(), text: `m${i}` },
          `v${i}`,
        );
        return result.messageIds[0] ?? "";
      }),
    );
    await eventually("every receipt matched", () => matched.length === 20);
    const contexts = matched.map((m) => m.part.context).sort();
    assert.deepEqual(contexts, Array.from({ length: 20 }, (_, i) => `v${i}`).sort());
    for (const m of matched) assert.equal(m.part.messageId, ids[Number(m.part.context.slice(1))]);
    assert.equal(pool.stats().tracked.heldReceipts, 0);
    return { stats: pool.stats(), ids, simulator: simulator.stats() };
  } finally {
    await pool.close();
    await simulator.close();
  }
}

it("receipts before responses are held and matched", async () => {
  const { simulator } = await sendAndMatch({ receiptsBeforeResponses: true, responseDelayMs: 100 }, [
    "transceiver",
  ]);
  assert.equal(simulator.receiptsAcked, 20);
});

it("receipts on another bind of the same account are matched", async () => {
  const { stats } = await sendAndMatch({ receiptsOnOtherBind: true, default: { receiptDelayMs: 5 } }, [
    "transmitter",
    "receiver",
  ]);
  const [transmitter, receiver] = stats.sessions;
  assert.equal(transmitter?.counters.receipts, 0);
  assert.equal(receiver?.counters.receipts, 20);
});

it("hex ids in submit_sm_resp match decimal ids in receipts", async () => {
  const { ids } = await sendAndMatch({ hexIds: true, default: { receiptDelayMs: 5 } }, ["transceiver"]);
  assert.ok(
    ids.every((id) => /^[0-9A-F]+$/.test(id) && /[A-F]/.test(id)),
    "ids are hex",
  );
});

it("status mix and outages decide the receipt status", async () => {
  const now = Date.now();
  const simulator = await startSimulator({
    seed: 7,
    districts: { "north-sumatra": ["62813"] },
    routes: [{ district: "north-sumatra", statusMix: { EXPIRED: 1 }, receiptDelayMs: 5 }],
    outages: [
      {
        prefix: "62814",
        from: new Date(now - 60_000).toISOString(),
        to: new Date(now + 60_000).toISOString(),
        effect: "undeliverable",
      },
    ],
    default: { receiptDelayMs: 5 },
  });
  const matched: Matched[] = [];
  const pool = poolFor(simulator, ["transceiver"], matched);
  try {
    await pool.submit({ source: "MyBank", destination: randomPhone("62813"), text: "a" }, "district");
    await pool.submit({ source: "MyBank", destination: randomPhone("62814"), text: "b" }, "outage");
    await pool.submit({ source: "MyBank", destination: randomPhone("62815"), text: "c" }, "default");
    await eventually("three receipts", () => matched.length === 3);
    const status = (context: string) => matched.find((m) => m.part.context === context)?.receipt.status;
    assert.equal(status("district"), "expired");
    assert.equal(status("outage"), "undeliverable");
    assert.equal(status("default"), "delivered");
  } finally {
    await pool.close();
    await simulator.close();
  }
});
