import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { twilioSignature, verifyTwilioSignature } from "./twilio-signature";

describe("X-Twilio-Signature", () => {
  // The example from Twilio's security documentation.
  const url = "https://mycompany.com/myapp.php?foo=1&bar=2";
  const params = new URLSearchParams({
    CallSid: "CA1234567890ABCDE",
    Caller: "+12349013030",
    Digits: "1234",
    From: "+12349013030",
    To: "+18005551212",
  });

  it("matches Twilio's documented example", () => {
    assert.equal(twilioSignature("12345", url, params), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
  });

  it("verifies only the exact URL, parameters and token", () => {
    assert.equal(verifyTwilioSignature("12345", url, params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="), true);
    assert.equal(verifyTwilioSignature("12346", url, params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="), false);
    assert.equal(verifyTwilioSignature("12345", `${url}&x=1`, params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="), false);
    assert.equal(verifyTwilioSignature("12345", url, params, undefined), false);
    assert.equal(verifyTwilioSignature("12345", url, params, "short"), false);
  });
});
