import assert from "node:assert/strict";
import { it } from "node:test";
import { OtpError } from "@domain/errors";
import { checkSubmitSm } from "./simulator/pdu-check";
import { encodePdu } from "./smpp-wire";
import { buildSubmitSms, relativeValidity, sourceAddress } from "./submit-sm";

it("senders: alphanumeric TON 5/NPI 0 up to 11 chars, numbers TON 1/NPI 1", () => {
  assert.deepEqual(sourceAddress("MyBank"), { ton: 5, npi: 0, addr: "MyBank" });
  assert.deepEqual(sourceAddress("+6281234"), { ton: 1, npi: 1, addr: "6281234" });
  assert.throws(() => sourceAddress("TwelveChars!"), OtpError);
  assert.throws(() => sourceAddress("ABCDEFGHIJKL"), OtpError);
});

it("validity period as relative SMPP time", () => {
  assert.equal(relativeValidity(300), "000000000500000R");
  assert.equal(relativeValidity(90_061), "000001010101000R");
  assert.throws(() => relativeValidity(0), OtpError);
});

it("PDU fields of a concatenated message", () => {
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

it("every submit_sm the gateway builds passes an SMSC's SMPP 3.4 checks", () => {
  const requests = [
    { source: "MyBank", destination: "+628123456789", text: "Kode 123456", validityPeriodSeconds: 300 },
    { source: "+6281234", destination: "628123456789", text: "x".repeat(400) },
    {
      source: "Bank",
      destination: "+66812345678",
      text: "รหัส 123456 ".repeat(12),
      validityPeriodSeconds: 90_061,
    },
    { source: "ABCDEFGHIJK", destination: "+84912345678", text: "€{}[]~^|\\ code 1" },
  ];
  for (const request of requests) {
    for (const fields of buildSubmitSms(request, { reference: 200 })) {
      const body = encodePdu("submit_sm", fields).subarray(16);
      assert.equal(checkSubmitSm(body), 0, `${request.source} → ${request.text.slice(0, 12)}`);
    }
  }
});
