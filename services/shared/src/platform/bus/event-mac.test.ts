import assert from "node:assert/strict";
import { createSecretKey, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { EventEnvelope } from "@proto/otp/events/v1/events";
import { Channel } from "@proto/otp/v1/common";
import { eventKeysFromEnv, freshEventKeysVariable } from "../crypto/event-keys";
import { envelope, type EventBody } from "../events/envelope";
import { EVENT_ROLES, ownerOf } from "@domain/events/ownership";
import { OtpError } from "@domain/errors";
import { createEventAuthenticator, eventMacHeaders, MAC_HEADERS } from "./event-mac";

const at = new Date("2026-01-01T00:00:00Z");
const overridden: EventBody = {
  $case: "verificationOverridden",
  value: { agent: "admin:alice", approver: "admin:bob", reason: "support" },
};
const smsReceipt = (channel: Channel): EventBody => ({
  $case: "deliveryReported",
  value: {
    attempt: 1,
    channel,
    route: "sms-id",
    status: 0,
    failureClass: 0,
    reason: "",
    providerMessageId: "m1",
    district: "ID-JK-JKS",
    operator: "",
    providerTime: undefined,
    providerSubmitDate: "",
    providerDoneDate: "",
  },
});

function encoded(body: EventBody) {
  const env = envelope({ verificationId: "ver_1", tenant: "acme", at }, body);
  return { env, key: "ver_1", value: EventEnvelope.encode(env).finish() };
}

const everyone = () => {
  const variable = freshEventKeysVariable();
  const ring = eventKeysFromEnv({ OTP_EVENT_KEYS: variable }, EVENT_ROLES["all-in-one"], {
    allowEphemeral: false,
  });
  return { variable, auth: createEventAuthenticator(ring) };
};

const rejectedWith = (code: string) => (err: unknown) => err instanceof OtpError && err.code === code;

describe("event MAC", () => {
  it("accepts what the owner signed and names the producer", () => {
    const { auth } = everyone();
    const { env, key, value } = encoded(overridden);
    const headers = auth.sign(env, key, value);
    assert.equal(headers[MAC_HEADERS.producer], "verification");
    auth.verify({ key, value, headers }, env);
    assert.deepEqual(auth.rejections(), []);
  });

  it("rejects a missing MAC, a changed byte, another partition key and an unknown key, counting each", () => {
    const { auth } = everyone();
    const { env, key, value } = encoded(overridden);
    const headers = auth.sign(env, key, value);
    assert.throws(() => auth.verify({ key, value, headers: {} }, env), rejectedWith("EVENT_UNAUTHENTICATED"));
    const tampered = Uint8Array.from(value);
    tampered[tampered.length - 1]! ^= 1;
    assert.throws(
      () => auth.verify({ key, value: tampered, headers }, env),
      rejectedWith("EVENT_UNAUTHENTICATED"),
    );
    assert.throws(
      () => auth.verify({ key: "ver_2", value, headers }, env),
      rejectedWith("EVENT_UNAUTHENTICATED"),
    );
    const stranger = eventMacHeaders("verification", "k9", createSecretKey(randomBytes(32)), key, value);
    assert.throws(
      () => auth.verify({ key, value, headers: stranger }, env),
      rejectedWith("EVENT_UNAUTHENTICATED"),
    );
    const counts = Object.fromEntries(auth.rejections().map((r) => [`${r.reason}/${r.eventType}`, r.count]));
    assert.deepEqual(counts, {
      "missing_mac/verificationOverridden": 1,
      "bad_mac/verificationOverridden": 2,
      "unknown_key/verificationOverridden": 1,
    });
  });

  it("rejects an event MACed by a service that does not own its type, however valid the MAC", () => {
    const { variable, auth } = everyone();
    const gatewayOnly = variable
      .split(",")
      .filter((e) => e.startsWith("gateway-smpp:"))
      .join(",");
    const gateway = createEventAuthenticator(
      eventKeysFromEnv(
        { OTP_EVENT_KEYS: gatewayOnly },
        { signs: ["gateway-smpp"], reads: [] },
        {
          allowEphemeral: false,
        },
      ),
    );
    const checked = encoded({
      $case: "codeChecked",
      value: { outcome: 1, checksUsed: 1, matchedAttempt: 1 },
    });
    // The gateway's own process refuses to write it at all...
    assert.throws(
      () => gateway.sign(checked.env, checked.key, checked.value),
      rejectedWith("EVENT_NOT_OWNED"),
    );
    // ...and a MAC made with its key anyway is refused by readers.
    const [, keyId, secret] = gatewayOnly.split(":") as [string, string, string];
    const forged = eventMacHeaders(
      "gateway-smpp",
      keyId,
      createSecretKey(Buffer.from(secret, "base64")),
      checked.key,
      checked.value,
    );
    assert.throws(
      () => auth.verify({ ...checked, headers: forged }, checked.env),
      rejectedWith("EVENT_NOT_OWNED"),
    );
    assert.deepEqual(auth.rejections(), [{ reason: "not_owner", eventType: "codeChecked", count: 1 }]);
  });

  it("gives receipts to the connector of their channel only", () => {
    const { auth } = everyone();
    const whatsapp = encoded(smsReceipt(Channel.CHANNEL_WHATSAPP));
    assert.equal(ownerOf(whatsapp.env), "whatsapp-connector");
    const signed = auth.sign(whatsapp.env, whatsapp.key, whatsapp.value);
    assert.equal(signed[MAC_HEADERS.producer], "whatsapp-connector");
    const sms = encoded(smsReceipt(Channel.CHANNEL_SMS));
    // Same bytes signed by the WhatsApp connector's key, but the SMS receipt is the gateway's.
    const { env, key, value } = sms;
    const headers = auth.sign({ ...whatsapp.env }, key, value);
    assert.throws(() => auth.verify({ key, value, headers }, env), rejectedWith("EVENT_NOT_OWNED"));
  });
});
