import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FailureClass as F } from "@proto/otp/v1/common";
import { classifyWhatsAppError } from "./error-classification";

describe("classifyWhatsAppError", () => {
  const cases: Array<[number, string, F, boolean, string]> = [
    [131026, "not_a_user", F.FAILURE_CLASS_PERMANENT, false, "recipient"],
    [130429, "rate_limited", F.FAILURE_CLASS_TRANSIENT, true, "sender"],
    [131056, "rate_limited", F.FAILURE_CLASS_TRANSIENT, true, "sender"],
    [80007, "rate_limited", F.FAILURE_CLASS_TRANSIENT, true, "sender"],
    [132000, "template", F.FAILURE_CLASS_PERMANENT, false, "sender"],
    [132001, "template", F.FAILURE_CLASS_PERMANENT, false, "sender"],
    [132999, "template", F.FAILURE_CLASS_PERMANENT, false, "sender"],
    [131047, "permanent", F.FAILURE_CLASS_PERMANENT, false, "recipient"],
    [100, "permanent", F.FAILURE_CLASS_PERMANENT, false, "recipient"],
    [190, "auth", F.FAILURE_CLASS_PERMANENT, false, "sender"],
    [131000, "transient", F.FAILURE_CLASS_TRANSIENT, true, "sender"],
  ];
  for (const [code, kind, failureClass, retryable, scope] of cases) {
    it(`${code} → ${kind}`, () => {
      assert.deepEqual(classifyWhatsAppError(code), {
        kind,
        failureClass,
        retryable,
        scope,
        reason: `WHATSAPP_${code}`,
      });
    });
  }

  it("falls back on the HTTP status when the code is unknown or missing", () => {
    assert.equal(classifyWhatsAppError(999_999, 503).kind, "transient");
    assert.equal(classifyWhatsAppError(undefined, 429).kind, "rate_limited");
    assert.equal(classifyWhatsAppError(undefined, 401).kind, "auth");
    assert.equal(classifyWhatsAppError(undefined, 400).kind, "permanent");
    assert.equal(classifyWhatsAppError(undefined, 502).reason, "WHATSAPP_HTTP_502");
  });
});
