import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { OtpError } from "../errors";
import { secretsFromEnv } from "./keys";
import { sealedField } from "./sealer";

const b64 = () => randomBytes(32).toString("base64");

describe("secretsFromEnv", () => {
  it("reads rotated keys and seals with the active one", () => {
    const k1 = b64();
    const old = secretsFromEnv(
      { OTP_ENCRYPTION_KEYS: `k1:${k1}`, OTP_CODE_HASH_SECRET: b64() },
      { allowEphemeral: false },
    );
    const sealed = old.sealer.seal("+6281234567890", sealedField("v", "phone"));
    const rotated = secretsFromEnv(
      { OTP_ENCRYPTION_KEYS: `k2:${b64()},k1:${k1}`, OTP_CODE_HASH_SECRET: b64() },
      { allowEphemeral: false },
    );
    assert.equal(rotated.activeKeyId, "k2");
    assert.equal(rotated.sealer.open(sealed, sealedField("v", "phone")), "+6281234567890");
  });

  it("generates throwaway keys only when allowed and nothing is configured", () => {
    assert.equal(secretsFromEnv({}, { allowEphemeral: true }).ephemeral, true);
    assert.throws(
      () => secretsFromEnv({}, { allowEphemeral: false }),
      (e: unknown) => e instanceof OtpError && e.code === "CONFIG_INVALID",
    );
    assert.throws(
      () => secretsFromEnv({ OTP_CODE_HASH_SECRET: b64() }, { allowEphemeral: true }),
      /OTP_ENCRYPTION_KEYS is required/,
    );
  });

  it("reports malformed keys without echoing them", () => {
    const bad = "short";
    assert.throws(
      () =>
        secretsFromEnv(
          {
            OTP_ENCRYPTION_KEYS: `k1:${b64()},k2:${bad}`,
            OTP_CODE_HASH_SECRET: b64(),
            OTP_ACTIVE_KEY_ID: "k9",
          },
          { allowEphemeral: false },
        ),
      (e: unknown) =>
        e instanceof OtpError &&
        /k2:<secret>/.test(e.message) &&
        !e.message.includes(bad) &&
        /k9/.test(e.message),
    );
  });
});
