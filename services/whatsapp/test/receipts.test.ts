import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Channel, DeliveryStatus as S, FailureClass as F } from "@proto/otp/v1/common";
import { dispatchTo, eventually, receiptsOf, startStack, type Stack } from "./harness";

const fast = { sentDelayMs: 5, deliveredDelayMs: 5, readDelayMs: 5 };

describe("status webhooks become receipts", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      scenario: {
        default: fast,
        routes: [
          { prefix: "62811", outcomeMix: { read: 1 } },
          { prefix: "62812", outcomeMix: { delivered: 1 } },
          { prefix: "62813", outcomeMix: { sent: 1 } },
          { prefix: "62814", outcomeMix: { failed: 1 }, failedCode: 131047 },
          { prefix: "62815", outcomeMix: { failed: 1 }, failedCode: 130429 },
          { prefix: "62816", outcomeMix: { failed: 1 }, failedCode: 131000 },
        ],
        notOnWhatsApp: ["62819"],
      },
    });
  });
  after(() => stack.close());

  const run = async (prefix: string, count: number) => {
    const d = dispatchTo(prefix);
    await stack.connector.dispatch(d);
    await eventually(
      `${count} receipts for ${prefix}`,
      () => receiptsOf(stack, d.verificationId).length >= count,
    );
    const receipts = receiptsOf(stack, d.verificationId);
    return { d, receipts, seen: receipts.map((r) => [r.status, r.failureClass, r.reason]) };
  };
  const ok = (status: S) => [status, F.FAILURE_CLASS_UNSPECIFIED, ""];

  it("read: ACCEPTED, SENT, DELIVERED, READ with the wamid, route and district", async () => {
    const { d, receipts, seen } = await run("62811", 4);
    assert.deepEqual(seen, [
      ok(S.DELIVERY_STATUS_ACCEPTED),
      ok(S.DELIVERY_STATUS_SENT),
      ok(S.DELIVERY_STATUS_DELIVERED),
      ok(S.DELIVERY_STATUS_READ),
    ]);
    const wamid = receipts[0]?.providerMessageId ?? "";
    assert.match(wamid, /^wamid\./);
    for (const r of receipts) {
      assert.equal(r.providerMessageId, wamid);
      assert.equal(r.channel, Channel.CHANNEL_WHATSAPP);
      assert.equal(r.attempt, d.attempt);
      assert.equal(r.route, "sender-1");
      assert.equal(r.district, d.district);
    }
    // The webhook's unix timestamp: whole seconds.
    assert.equal((receipts[1]?.providerTime.getTime() ?? 1) % 1000, 0);
  });

  it("delivered (no read receipt): ends at DELIVERED", async () => {
    const { seen } = await run("62812", 3);
    assert.deepEqual(seen.at(-1), ok(S.DELIVERY_STATUS_DELIVERED));
  });

  it("sent, never delivered: ends at SENT", async () => {
    const { seen } = await run("62813", 2);
    assert.deepEqual(seen, [ok(S.DELIVERY_STATUS_ACCEPTED), ok(S.DELIVERY_STATUS_SENT)]);
  });

  const failures: Array<[string, string, F, string]> = [
    ["not a WhatsApp user (131026)", "62819", F.FAILURE_CLASS_PERMANENT, "WHATSAPP_131026"],
    ["re-engagement (131047)", "62814", F.FAILURE_CLASS_PERMANENT, "WHATSAPP_131047"],
    ["rate limited (130429)", "62815", F.FAILURE_CLASS_TRANSIENT, "WHATSAPP_130429"],
    ["transient (131000)", "62816", F.FAILURE_CLASS_TRANSIENT, "WHATSAPP_131000"],
  ];
  for (const [name, prefix, failureClass, reason] of failures) {
    it(`failed, ${name}: FAILED ${reason}`, async () => {
      const { seen } = await run(prefix, 2);
      assert.deepEqual(seen, [
        ok(S.DELIVERY_STATUS_ACCEPTED),
        [S.DELIVERY_STATUS_FAILED, failureClass, reason],
      ]);
    });
  }

  it("template error from the API (132001): FAILED PERMANENT, nothing accepted", async () => {
    stack.simulator.setScenario({ ...stack.simulator.scenario, templates: ["another_template"] });
    try {
      const { seen } = await run("62811", 1);
      assert.deepEqual(seen, [[S.DELIVERY_STATUS_FAILED, F.FAILURE_CLASS_PERMANENT, "WHATSAPP_132001"]]);
    } finally {
      stack.simulator.setScenario({ ...stack.simulator.scenario, templates: undefined });
    }
  });

  it("invalid parameter (100): FAILED PERMANENT", async () => {
    const d = dispatchTo("62811", { phone: "+12" });
    await stack.connector.dispatch(d);
    assert.deepEqual(
      receiptsOf(stack, d.verificationId).map((r) => [r.status, r.failureClass, r.reason]),
      [[S.DELIVERY_STATUS_FAILED, F.FAILURE_CLASS_PERMANENT, "WHATSAPP_100"]],
    );
  });
});

describe("auth errors", () => {
  it("a rejected token (190): FAILED PERMANENT WHATSAPP_190", async () => {
    const stack = await startStack({ client: { accessToken: "expired-token" } });
    try {
      const d = dispatchTo("62811");
      await stack.connector.dispatch(d);
      assert.deepEqual(
        receiptsOf(stack, d.verificationId).map((r) => [r.status, r.failureClass, r.reason]),
        [[S.DELIVERY_STATUS_FAILED, F.FAILURE_CLASS_PERMANENT, "WHATSAPP_190"]],
      );
      assert.equal(stack.simulator.stats().rejected["190"], 1);
    } finally {
      await stack.close();
    }
  });
});
