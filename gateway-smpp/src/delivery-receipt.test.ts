import assert from "node:assert/strict";
import { it } from "node:test";
import { formatReceiptText, parseDeliveryReceipt } from "./delivery-receipt";
import { messageIdKeys } from "./message-id";

const text = (stat: string, id = "6699") =>
  `id:${id} sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:${stat} err:000 text:stat:DELIVRD`;

it("TLVs win over the text", () => {
  const receipt = parseDeliveryReceipt({
    esmClass: 0x04,
    receiptedMessageId: "1A2B",
    messageState: 5,
    text: text("DELIVRD"),
  });
  assert.equal(receipt?.messageId, "1A2B");
  assert.equal(receipt?.status, "undeliverable");
});

it("text receipts map every stat", () => {
  const expected = {
    DELIVRD: "delivered",
    UNDELIV: "undeliverable",
    EXPIRED: "expired",
    REJECTD: "rejected",
    DELETED: "deleted",
    ACCEPTD: "accepted",
    UNKNOWN: "unknown",
    ENROUTE: "enroute",
  };
  for (const [stat, status] of Object.entries(expected)) {
    const receipt = parseDeliveryReceipt({
      esmClass: 0x04,
      receiptedMessageId: undefined,
      messageState: undefined,
      text: text(stat),
    });
    assert.equal(receipt?.status, status, stat);
    assert.equal(receipt?.messageId, "6699");
    assert.equal(receipt?.final, stat !== "ENROUTE" && stat !== "ACCEPTD");
  }
});

it("free text after text: cannot fake fields; non-receipts are ignored", () => {
  const receipt = parseDeliveryReceipt({
    esmClass: 0x04,
    receiptedMessageId: undefined,
    messageState: undefined,
    text: text("UNDELIV"),
  });
  assert.equal(receipt?.status, "undeliverable");
  assert.equal(
    parseDeliveryReceipt({ esmClass: 0x00, receiptedMessageId: "1", messageState: 2, text: "" }),
    undefined,
  );
  assert.equal(
    parseDeliveryReceipt({
      esmClass: 0x04,
      receiptedMessageId: undefined,
      messageState: undefined,
      text: "hello",
    }),
    undefined,
  );
});

it("formatted receipts parse back", () => {
  const formatted = formatReceiptText({
    messageId: "123",
    status: "expired",
    submitDate: new Date(),
    doneDate: new Date(),
    errorCode: 1,
  });
  const receipt = parseDeliveryReceipt({
    esmClass: 0x04,
    receiptedMessageId: undefined,
    messageState: undefined,
    text: formatted,
  });
  assert.deepEqual([receipt?.messageId, receipt?.status, receipt?.errorCode], ["123", "expired", "001"]);
});

it("message ids: hex in the response matches decimal in the receipt, exact keys first", () => {
  const shared = (a: string, b: string) => messageIdKeys(a).some((key) => messageIdKeys(b).includes(key));
  assert.ok(shared("1A2B", "6699"));
  assert.ok(shared("1a2b", "1A2B"));
  assert.ok(shared("0000006699", "6699"));
  assert.ok(!shared("1A2B", "6698"));
  assert.ok(!shared("msg-1", "msg-2"));
  assert.equal(messageIdKeys("1A2B")[0], "raw:1A2B");
});
