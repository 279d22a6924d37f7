import assert from "node:assert/strict";
import { it } from "node:test";
import { DeliveryStatus, FailureClass } from "@proto/otp/v1/common";
import { OtpError } from "@domain/errors";
import type { DeliveryReceipt, ReceiptStatus } from "../delivery-receipt";
import { SmppStatusError } from "../smpp-status";
import { receiptOutcome, submitErrorOutcome } from "./outcomes";
import { chooseSenders } from "./sender-choice";

const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);

it("submit errors: status code reasons, classes, and unknown outcomes", () => {
  const refused = submitErrorOutcome(new SmppStatusError("SMPP_SUBMIT_FAILED", "refused", 0x0b), NOW);
  assert.deepEqual(refused, {
    status: DeliveryStatus.DELIVERY_STATUS_FAILED,
    failureClass: FailureClass.FAILURE_CLASS_PERMANENT,
    reason: "SMPP_STATUS_0x0000000B",
    providerMessageId: "",
    providerTimeMs: NOW,
  });
  const throttled = submitErrorOutcome(new SmppStatusError("SMPP_THROTTLED", "throttled", 0x58), NOW);
  assert.equal(throttled?.failureClass, FailureClass.FAILURE_CLASS_TRANSIENT);
  assert.equal(throttled?.reason, "SMPP_STATUS_0x00000058");
  const queueFull = submitErrorOutcome(new SmppStatusError("SMPP_QUEUE_FULL", "full", 0x14), NOW);
  assert.equal(queueFull?.failureClass, FailureClass.FAILURE_CLASS_TRANSIENT);
  const timeout = submitErrorOutcome(new OtpError("SMPP_RESPONSE_TIMEOUT", "no answer"), NOW);
  assert.equal(timeout?.failureClass, FailureClass.FAILURE_CLASS_UNKNOWN);
  assert.equal(timeout?.reason, "SMPP_RESPONSE_TIMEOUT");
  assert.equal(
    submitErrorOutcome(new OtpError("SMPP_NOT_BOUND", "down"), NOW)?.failureClass,
    FailureClass.FAILURE_CLASS_TRANSIENT,
  );
  assert.equal(submitErrorOutcome(new TypeError("bug"), NOW), undefined, "bugs are not outcomes");
});

const receipt = (status: ReceiptStatus): DeliveryReceipt => ({
  messageId: "100001",
  status,
  final: status !== "enroute" && status !== "accepted",
  errorCode: undefined,
  submitDate: undefined,
  doneDate: undefined,
});

it("receipts: DELIVRD, UNDELIV, EXPIRED, REJECTD; intermediate states ignored", () => {
  const of = (status: ReceiptStatus) => receiptOutcome(receipt(status), "100001", NOW);
  assert.equal(of("delivered")?.status, DeliveryStatus.DELIVERY_STATUS_DELIVERED);
  assert.deepEqual(
    [of("undeliverable")?.status, of("undeliverable")?.failureClass, of("undeliverable")?.reason],
    [DeliveryStatus.DELIVERY_STATUS_FAILED, FailureClass.FAILURE_CLASS_PERMANENT, "SMPP_DLR_UNDELIV"],
  );
  assert.equal(of("expired")?.status, DeliveryStatus.DELIVERY_STATUS_EXPIRED);
  assert.equal(of("rejected")?.reason, "SMPP_DLR_REJECTD");
  assert.equal(of("rejected")?.failureClass, FailureClass.FAILURE_CLASS_PERMANENT);
  assert.equal(of("unknown")?.failureClass, FailureClass.FAILURE_CLASS_UNKNOWN);
  assert.equal(of("enroute"), undefined);
  assert.equal(of("accepted"), undefined);
});

it("a receipt's time is its arrival; the SMSC's own dates ride along as reported", () => {
  const old = { ...receipt("delivered"), submitDate: "2401011200", doneDate: "2401011201" };
  const outcome = receiptOutcome(old, "100001", NOW);
  assert.equal(outcome?.providerTimeMs, NOW);
  assert.equal(outcome?.providerSubmitDate, "2401011200");
  assert.equal(outcome?.providerDoneDate, "2401011201");
  assert.equal(receiptOutcome(receipt("delivered"), "100001", NOW)?.providerDoneDate, "");
});

it("sender: the operator's registered id, else the tenant's; numeric fallback when set", () => {
  const sms = {
    senderId: "BankA",
    senderIdByOperator: { "id-xl": "BANK A" },
    numericFallback: "6281100001111",
  };
  assert.deepEqual(chooseSenders(sms, "id-xl"), { primary: "BANK A", alternative: "6281100001111" });
  assert.deepEqual(chooseSenders(sms, "id-telkomsel"), { primary: "BankA", alternative: "6281100001111" });
  assert.deepEqual(chooseSenders({ ...sms, numericFallback: "" }, "toString"), {
    primary: "BankA",
    alternative: undefined,
  });
});
