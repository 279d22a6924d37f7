import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DeliveryStatus, FailureClass } from "@proto/otp/v1/common";
import { whatsAppLanguage } from "./cloud-api-payload";
import { createMemoryCorrelation } from "./message-correlation";
import { mapWebhookStatus } from "./status-mapping";
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

  it("maps statuses to delivery statuses", () => {
    const map = (status: string, code?: number) =>
      mapWebhookStatus({ status, errors: code === undefined ? [] : [{ code, title: "" }] });
    assert.equal(map("sent")?.status, DeliveryStatus.DELIVERY_STATUS_SENT);
    assert.equal(map("delivered")?.status, DeliveryStatus.DELIVERY_STATUS_DELIVERED);
    assert.equal(map("read")?.status, DeliveryStatus.DELIVERY_STATUS_READ);
    assert.deepEqual(map("failed", 131026), {
      status: DeliveryStatus.DELIVERY_STATUS_FAILED,
      failureClass: FailureClass.FAILURE_CLASS_PERMANENT,
      reason: "WHATSAPP_131026",
    });
    assert.equal(map("failed")?.reason, "WHATSAPP_FAILED");
    assert.equal(map("deleted"), undefined);
  });
});

describe("template language", () => {
  it("maps our locales to WhatsApp language codes", () => {
    assert.equal(whatsAppLanguage("id-ID"), "id");
    assert.equal(whatsAppLanguage("en-US"), "en_US");
    assert.equal(whatsAppLanguage("ms-MY"), "ms");
    assert.equal(whatsAppLanguage("th-TH"), "th");
    assert.equal(whatsAppLanguage("vi-VN"), "vi");
    assert.equal(whatsAppLanguage("fil-PH"), "fil");
    assert.equal(whatsAppLanguage("id"), "id");
    assert.equal(whatsAppLanguage("xx-YY"), "en_US");
    assert.equal(whatsAppLanguage("ms-MY", { "ms-MY": "en_US" }), "en_US");
  });
});

describe("memory correlation", () => {
  it("claims an attempt once and forgets references after their TTL", async () => {
    let t = 0;
    const correlation = createMemoryCorrelation({ now: () => t });
    assert.equal(await correlation.claimAttempt("v1", 1, 1_000), true);
    assert.equal(await correlation.claimAttempt("v1", 1, 1_000), false);
    assert.equal(await correlation.claimAttempt("v1", 2, 1_000), true);
    await correlation.remember(
      "wamid.a",
      { verificationId: "v1", attempt: 1, tenant: "t", district: "d", operator: "", route: "r" },
      500,
    );
    assert.equal((await correlation.lookup("wamid.a"))?.verificationId, "v1");
    t = 600;
    assert.equal(await correlation.lookup("wamid.a"), undefined);
    t = 1_000;
    assert.equal(await correlation.claimAttempt("v1", 1, 1_000), true);
  });
});
