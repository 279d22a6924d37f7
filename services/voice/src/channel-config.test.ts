import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isOtpError } from "@domain/errors";
import { voiceConfigFromEnv } from "./channel-config";

const base = {
  VOICE_ACCOUNT_SID: "AC123",
  VOICE_AUTH_TOKEN: "token",
  VOICE_CALLER_IDS: "*=+622150000000, bank-a=+6281100000000",
  VOICE_PUBLIC_BASE_URL: "https://otp.example.com/",
};

describe("voice settings from the environment", () => {
  it("reads caller ids per tenant and defaults", () => {
    const config = voiceConfigFromEnv({ ...base, VOICE_KEY_PRESS: "true" });
    assert.deepEqual(config.callerIds, { "*": "+622150000000", "bank-a": "+6281100000000" });
    assert.equal(config.publicBaseUrl, "https://otp.example.com");
    assert.equal(config.baseUrl, "https://api.twilio.com");
    assert.equal(config.keyPress, true);
    assert.equal(config.callsPerSecond, 3);
    assert.equal(config.groupId, "voice-connector");
  });

  it("lists every problem at once", () => {
    assert.throws(
      () =>
        voiceConfigFromEnv({
          VOICE_CALLER_IDS: "*=12345",
          VOICE_PUBLIC_BASE_URL: "otp.example.com",
          VOICE_CALLS_PER_SECOND: "0",
        }),
      (err) => {
        assert.ok(isOtpError(err) && err.code === "CONFIG_INVALID");
        for (const name of [
          "VOICE_ACCOUNT_SID",
          "VOICE_AUTH_TOKEN",
          "VOICE_CALLER_IDS",
          "VOICE_PUBLIC_BASE_URL",
          "VOICE_CALLS_PER_SECOND",
        ])
          assert.match(err.message, new RegExp(name));
        return true;
      },
    );
    assert.throws(
      () => voiceConfigFromEnv({ ...base, VOICE_KEY_PRESS_PATH: "/voice/status" }),
      /must differ/,
    );
  });
});
