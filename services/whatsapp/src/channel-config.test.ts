import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isOtpError } from "@domain/errors";
import { whatsAppConfigFromEnv } from "./channel-config";

const base = {
  WHATSAPP_ACCESS_TOKEN: "token",
  WHATSAPP_SENDERS: "meta-primary=100000000000001, meta-backup=100000000000002",
  WHATSAPP_APP_SECRET: "secret",
  WHATSAPP_VERIFY_TOKEN: "verify",
};

describe("WhatsApp settings from the environment", () => {
  it("reads senders in order, tenant orders and per-sender overrides", () => {
    const config = whatsAppConfigFromEnv({
      ...base,
      WHATSAPP_TENANT_SENDERS: "bank-a=meta-backup|meta-primary",
      WHATSAPP_SENDER_META_BACKUP_BASE_URL: "https://bsp.example.com/",
      WHATSAPP_SENDER_META_BACKUP_ACCESS_TOKEN: "other-token",
      WHATSAPP_SENDER_META_BACKUP_MPS: "20",
    });
    assert.deepEqual(
      config.senders.map((s) => [s.name, s.phoneNumberId, s.baseUrl, s.accessToken, s.messagesPerSecond]),
      [
        ["meta-primary", "100000000000001", undefined, undefined, undefined],
        ["meta-backup", "100000000000002", "https://bsp.example.com", "other-token", 20],
      ],
    );
    assert.deepEqual(config.tenantSenders, { "bank-a": ["meta-backup", "meta-primary"] });
    assert.equal(config.baseUrl, "https://graph.facebook.com");
    assert.equal(config.groupId, "whatsapp-connector");
    assert.equal(config.webhookListen, "0.0.0.0:8081");
    assert.equal(config.ttlMode, "template");
  });

  it("lists every problem at once, without echoing secrets", () => {
    const read = () =>
      whatsAppConfigFromEnv({
        WHATSAPP_SENDERS: "primary=12ab",
        WHATSAPP_TENANT_SENDERS: "bank-a=nobody",
        WHATSAPP_TTL_MODE: "sometimes",
      });
    assert.throws(read, (err) => {
      assert.ok(isOtpError(err) && err.code === "CONFIG_INVALID");
      for (const name of [
        "WHATSAPP_ACCESS_TOKEN",
        "WHATSAPP_APP_SECRET",
        "WHATSAPP_VERIFY_TOKEN",
        "WHATSAPP_SENDERS",
        "WHATSAPP_TTL_MODE",
      ])
        assert.match(err.message, new RegExp(name));
      return true;
    });
    assert.throws(
      () => whatsAppConfigFromEnv({ ...base, WHATSAPP_TENANT_SENDERS: "bank-a=nobody" }),
      /unknown sender "nobody"/,
    );
  });
});
