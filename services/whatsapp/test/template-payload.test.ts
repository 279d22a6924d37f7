import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DeliveryStatus } from "@proto/otp/v1/common";
import { dispatchTo, eventually, receiptsOf, startStack, type Stack } from "./harness";

describe("authentication template payload", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      scenario: { default: { sentDelayMs: 5, deliveredDelayMs: 5, readDelayMs: 5 } },
    });
  });
  after(() => stack.close());

  it("sends the code as body parameter and copy-code button parameter, as the Cloud API expects", async () => {
    const d = dispatchTo("62812", { locale: "id-ID" });
    await stack.connector.dispatch(d);
    const [request] = stack.simulator
      .received("100000000000001")
      .filter((r) => JSON.stringify(r.body).includes(d.code));
    assert.deepEqual(request?.body, {
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: d.phone.slice(1),
      type: "template",
      template: {
        name: "otp_copy_code",
        language: { code: "id" },
        components: [
          { type: "body", parameters: [{ type: "text", text: d.code }] },
          { type: "button", sub_type: "url", index: "0", parameters: [{ type: "text", text: d.code }] },
        ],
      },
    });
  });

  it("reaches the handset as the user sees it: preset text and a copy-code button", async () => {
    const d = dispatchTo("62813", { locale: "fil-PH" });
    await stack.connector.dispatch(d);
    await eventually("delivered to the inbox", () => stack.simulator.inbox.messages(d.phone).length === 1);
    const [message] = stack.simulator.inbox.messages(d.phone);
    assert.equal(message?.text, `${d.code} is your verification code.`);
    assert.deepEqual(message?.button, { type: "copy_code", label: "Copy code", copies: d.code });
    assert.equal(message?.language, "fil");
  });

  it("never sends an expired code: EXPIRED receipt, no request reaches the API", async () => {
    const before = stack.simulator.stats().requests;
    const d = dispatchTo("62814", { expiresAt: new Date(Date.now() - 1_000) });
    await stack.connector.dispatch(d);
    assert.equal(stack.simulator.stats().requests, before);
    assert.deepEqual(
      receiptsOf(stack, d.verificationId).map((r) => [r.status, r.reason]),
      [[DeliveryStatus.DELIVERY_STATUS_EXPIRED, "CODE_EXPIRED"]],
    );
  });

  it("is idempotent on (verification, attempt): a redelivered dispatch sends nothing more", async () => {
    const d = dispatchTo("62815");
    await stack.connector.dispatch(d);
    await stack.connector.dispatch(d);
    assert.equal(
      stack.simulator.received().filter((r) => JSON.stringify(r.body).includes(d.phone.slice(1))).length,
      1,
    );
  });

  it("the simulator rejects malformed template payloads with Graph API errors", async () => {
    const post = async (body: unknown) => {
      const response = await fetch(`${stack.simulator.url}/v21.0/100000000000001/messages`, {
        method: "POST",
        headers: { authorization: "Bearer test-access-token", "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return {
        status: response.status,
        body: (await response.json()) as { error: { code: number; fbtrace_id: string } },
      };
    };
    const template = (components: unknown) => ({
      messaging_product: "whatsapp",
      to: "6281234567890",
      type: "template",
      template: { name: "otp_copy_code", language: { code: "en_US" }, components },
    });
    const noButton = await post(template([{ type: "body", parameters: [{ type: "text", text: "123456" }] }]));
    assert.equal(noButton.status, 400);
    assert.equal(noButton.body.error.code, 132000);
    assert.equal(typeof noButton.body.error.fbtrace_id, "string");
    const noProduct = await post({ ...template([]), messaging_product: undefined });
    assert.equal(noProduct.body.error.code, 100);
  });
});

describe("message TTL", () => {
  it("in message mode, ttl_seconds never exceeds the code's remaining life", async () => {
    const stack = await startStack({ client: { ttlMode: "message" } });
    try {
      const d = dispatchTo("62816", { expiresAt: new Date(Date.now() + 120_000) });
      await stack.connector.dispatch(d);
      const [request] = stack.simulator.received().filter((r) => JSON.stringify(r.body).includes(d.code));
      const ttl = (request?.body as { ttl_seconds: number }).ttl_seconds;
      assert.ok(ttl >= 30 && ttl <= 120, `ttl_seconds ${ttl}`);
    } finally {
      await stack.close();
    }
  });
});
