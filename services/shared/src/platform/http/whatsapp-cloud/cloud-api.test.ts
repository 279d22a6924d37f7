import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseMessageId } from "./message-id";
import { parseWebhookBatch } from "./webhook-payload";

const metaSample = {
  object: "whatsapp_business_account",
  entry: [
    {
      id: "102290129340398",
      changes: [
        {
          field: "messages",
          value: {
            messaging_product: "whatsapp",
            metadata: { display_phone_number: "15550783881", phone_number_id: "106540352242922" },
            statuses: [
              {
                id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA",
                status: "failed",
                timestamp: "1750263773",
                recipient_id: "16505551234",
                errors: [{ code: 131026, title: "Message undeliverable", error_data: { details: "x" } }],
              },
              { status: "sent" },
              "garbage",
            ],
            messages: [
              {
                from: "16505551234",
                id: "wamid.in",
                timestamp: "1749416383",
                type: "text",
                text: { body: "hi" },
              },
            ],
          },
        },
      ],
    },
  ],
};

describe("webhook payload", () => {
  it("reads statuses and user messages, skipping malformed items", () => {
    const batch = parseWebhookBatch(metaSample);
    assert.equal(batch.statuses.length, 1);
    const [status] = batch.statuses;
    assert.equal(status?.status, "failed");
    assert.equal(status?.phoneNumberId, "106540352242922");
    assert.equal(status?.timestamp.toISOString(), "2025-06-18T16:22:53.000Z");
    assert.deepEqual(status?.errors, [{ code: 131026, title: "Message undeliverable" }]);
    assert.equal(batch.messages[0]?.from, "16505551234");
  });

  it("rejects bodies that are not webhook objects", () => {
    assert.throws(() => parseWebhookBatch({ hello: 1 }), TypeError);
    assert.throws(() => parseWebhookBatch([]), TypeError);
  });
});

describe("message id", () => {
  it("reads the wamid the Cloud API gives a message it accepted", () => {
    assert.equal(parseMessageId({ messaging_product: "whatsapp", messages: [{ id: "wamid.a" }] }), "wamid.a");
    assert.equal(parseMessageId({ messages: [] }), undefined);
    assert.equal(parseMessageId({ messages: [{ id: "" }] }), undefined);
    assert.equal(parseMessageId({ error: { code: 131026 } }), undefined);
    assert.equal(parseMessageId(null), undefined);
  });
});
