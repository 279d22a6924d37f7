import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DeliveryStatus, FailureClass } from "@proto/otp/v1/common";
import { whatsAppLanguage } from "./cloud-api-payload";
import { createMemoryCorrelation } from "./message-correlation";
import { mapWebhookStatus } from "./status-mapping";

describe("webhook status", () => {
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
