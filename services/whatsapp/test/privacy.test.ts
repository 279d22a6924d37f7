import assert from "node:assert/strict";
import { it } from "node:test";
import { signWebhookBody } from "@platform/http/whatsapp-cloud/webhook-signature";
import { dispatchTo, eventually, receiptsOf, startStack } from "./harness";

it("logs never contain a code or a full phone number", async () => {
  const stack = await startStack({
    scenario: {
      default: { sentDelayMs: 5, deliveredDelayMs: 5, readDelayMs: 5 },
      routes: [{ prefix: "62813", outcomeMix: { failed: 1 }, failedCode: 131000 }],
      notOnWhatsApp: ["62819"],
      failFirst: { count: 2, httpStatus: 503, code: 2 },
    },
  });
  try {
    const dispatches = [
      dispatchTo("62812"),
      dispatchTo("62813"),
      dispatchTo("62819"),
      dispatchTo("62812", { expiresAt: new Date(Date.now() - 1) }),
      dispatchTo("62812", { phone: "+6281" }),
    ];
    for (const d of dispatches) await stack.connector.dispatch(d);
    await eventually("final receipts", () =>
      dispatches.slice(0, 3).every((d) => receiptsOf(stack, d.verificationId).length >= 2),
    );
    // Webhook rejections are logged too.
    await fetch(stack.webhookUrl, {
      method: "POST",
      body: "{}",
      headers: { "x-hub-signature-256": signWebhookBody("x", "{}") },
    });

    assert.ok(stack.logs.length > 5, "expected log lines to inspect");
    const logs = stack.logs.join("\n");
    for (const d of dispatches) {
      assert.ok(!logs.includes(d.code), `code of ${d.verificationId} leaked into logs`);
      const digits = d.phone.replace(/\D/g, "");
      if (digits.length >= 8)
        assert.ok(!logs.includes(digits), `phone of ${d.verificationId} leaked into logs`);
    }
    assert.match(logs, /"maskedPhone":"\+6281\*+\d{4}"/, "masked numbers are logged instead");
  } finally {
    await stack.close();
  }
});
