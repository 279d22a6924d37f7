import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { EventEnvelope } from "@proto/otp/events/v1/events";
import { createEventAuthenticator } from "../bus/event-mac";
import { envelope } from "../events/envelope";
import { EVENT_ROLES } from "@domain/events/ownership";
import { OtpError } from "@domain/errors";
import { eventKeysFromEnv } from "./event-keys";

const b64 = () => randomBytes(32).toString("base64");
const routingRole = EVENT_ROLES["gateway-smpp"];

function problemsOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof OtpError && err.code === "CONFIG_INVALID");
    return err.message;
  }
  assert.fail("expected CONFIG_INVALID");
}

describe("eventKeysFromEnv", () => {
  it("generates keys on the in-process bus only", () => {
    assert.equal(eventKeysFromEnv({}, routingRole, { allowEphemeral: true }).ephemeral, true);
    const message = problemsOf(() => eventKeysFromEnv({}, routingRole, { allowEphemeral: false }));
    assert.match(message, /OTP_EVENT_KEYS is required on Kafka/);
    assert.match(message, /gateway-smpp \(signs\)/);
    assert.match(message, /routing \(reads\)/);
  });

  it("signs with the active key and still checks events of the previous one (rotation)", () => {
    const k1 = b64();
    const dispatch = envelope(
      { verificationId: "ver_1", tenant: "acme", at: new Date() },
      { $case: "verificationExpired", value: {} },
    );
    const value = EventEnvelope.encode(dispatch).finish();
    const before = createEventAuthenticator(
      eventKeysFromEnv(
        { OTP_EVENT_KEYS: `routing:r1:${k1}` },
        { signs: ["routing"], reads: [] },
        { allowEphemeral: true },
      ),
    );
    const old = before.sign(dispatch, "ver_1", value);
    const after = createEventAuthenticator(
      eventKeysFromEnv(
        { OTP_EVENT_KEYS: `routing:r2:${b64()},routing:r1:${k1}` },
        { signs: ["routing"], reads: ["routing"] },
        { allowEphemeral: false },
      ),
    );
    assert.match(after.sign(dispatch, "ver_1", value)["otp-mac"] ?? "", /^r2:/);
    after.verify({ key: "ver_1", value, headers: old }, dispatch);
  });

  it("reports every problem at once, naming the variable and never the secret", () => {
    const bad = "c2hvcnQ=";
    const shared = b64();
    const message = problemsOf(() =>
      eventKeysFromEnv(
        {
          OTP_EVENT_KEYS: `gateway-smpp:g1:${bad},nobody:n1:${b64()},routing:r1:${shared},issuance:i1:${shared}`,
          OTP_EVENT_ACTIVE_KEYS: "routing:r9",
        },
        routingRole,
        { allowEphemeral: true },
      ),
    );
    assert.ok(!message.includes(bad) && !message.includes(shared), message);
    for (const expected of [
      /OTP_EVENT_KEYS: entry "gateway-smpp:g1:<secret>"/,
      /"nobody" is not a producer/,
      /issuance:i1 has the same secret as a key of routing/,
      /OTP_EVENT_ACTIVE_KEYS: routing:r9 is not in OTP_EVENT_KEYS/,
      /no key of gateway-smpp, which this process signs its events as/,
    ]) {
      assert.match(message, expected);
    }
  });

  it("refuses a reader that lacks the key of a producer it reads", () => {
    const message = problemsOf(() =>
      eventKeysFromEnv(
        { OTP_EVENT_KEYS: `voice-connector:v1:${b64()},routing:r1:${b64()}` },
        EVENT_ROLES["voice-connector"],
        {
          allowEphemeral: false,
        },
      ),
    );
    assert.match(message, /no key of issuance, whose events this process reads/);
    assert.match(message, /no key of verification, whose events this process reads/);
  });
});
