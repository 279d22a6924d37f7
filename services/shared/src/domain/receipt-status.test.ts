import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DeliveryStatus } from "@proto/otp/v1/common";
import { receiptStatusFromProto } from "./receipt-status";

describe("receipt status ↔ otp.v1", () => {
  it("names every delivery status, and a value from a newer schema as unspecified", () => {
    assert.equal(receiptStatusFromProto(DeliveryStatus.DELIVERY_STATUS_DELIVERED), "delivered");
    assert.equal(receiptStatusFromProto(DeliveryStatus.DELIVERY_STATUS_FAILED), "failed");
    assert.equal(receiptStatusFromProto(DeliveryStatus.DELIVERY_STATUS_UNSPECIFIED), "unspecified");
    assert.equal(receiptStatusFromProto(99 as DeliveryStatus), "unspecified");
  });
});
