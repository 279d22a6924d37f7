import assert from "node:assert/strict";
import { test } from "node:test";
import { OtpError } from "../../services/shared/src/errors";
import { buildSubmitSms, relativeValidity, sourceAddress } from "./submit-sm";

test("senders: alphanumeric TON 5/NPI 0 up to 11 chars, numbers TON 1/NPI 1", () => {
  assert.deepEqual(sourceAddress("MyBank"), { ton: 5, npi: 0, addr: "MyBank" });
  assert.deepEqual(sourceAddress("+6281234"), { ton: 1, npi: 1, addr: "6281234" });
  assert.throws(() => sourceAddress("TwelveChars!"), OtpError);
  assert.throws(() => sourceAddress("ABCDEFGHIJKL"), OtpError);
});

test("validity period as relative SMPP time", () => {
  assert.equal(relativeValidity(300), "000000000500000R");
  assert.equal(relativeValidity(90_061), "000001010101000R");
  assert.throws(() => relativeValidity(0), OtpError);
});

test("PDU fields of a concatenated message", () => {
  const parts = buildSubmitSms(
    { source: "MyBank", destination: "+628123456789", text: "x".repeat(200), validityPeriodSeconds: 600 },
    { reference: 9 },
  );
  assert.equal(parts.length, 2);
  assert.equal(parts[0]?.esm_class, 0x40);
  assert.equal(parts[0]?.data_coding, 0);
  assert.equal(parts[0]?.registered_delivery, 1);
  assert.equal(parts[0]?.destination_addr, "628123456789");
  assert.equal(parts[0]?.validity_period, "000000001000000R");
  assert.throws(
    () => buildSubmitSms({ source: "MyBank", destination: "12", text: "x" }, { reference: 1 }),
    OtpError,
  );
});
