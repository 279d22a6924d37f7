import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { OtpError } from "@domain/errors";
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

  it("hashes codes with the active code-hash key and checks against every configured one", () => {
    const sealing = { OTP_ENCRYPTION_KEYS: `k1:${b64()}` };
    const [legacy, h1, h2] = [b64(), b64(), b64()];
    const opts = { allowEphemeral: false };
    const before = secretsFromEnv({ ...sealing, OTP_CODE_HASH_SECRET: legacy }, opts).hasher;
    // Step 1: the new key reaches every service; the legacy secret stays active meanwhile.
    const added = secretsFromEnv(
      { ...sealing, OTP_CODE_HASH_SECRET: legacy, OTP_CODE_HASH_KEYS: `h1:${h1}` },
      opts,
    ).hasher;
    assert.equal(added.hash("v", "123456", ""), before.hash("v", "123456", ""));
    assert.equal(added.lookup("phone", "+62812"), before.lookup("phone", "+62812"));
    // Step 2: h1 becomes active: new hashes carry its id, old ones still check.
    const switched = secretsFromEnv(
      {
        ...sealing,
        OTP_CODE_HASH_SECRET: legacy,
        OTP_CODE_HASH_KEYS: `h1:${h1}`,
        OTP_CODE_HASH_ACTIVE_KEY_ID: "h1",
      },
      opts,
    ).hasher;
    const made = switched.hash("v", "123456", "");
    assert.match(made, /^h1\./);
    assert.ok(switched.candidates("v", "123456", "").includes(before.hash("v", "123456", "")));
    // Step 3: a later rotation to h2 (the first listed) still accepts h1's hashes, not a wrong code.
    const rotated = secretsFromEnv({ ...sealing, OTP_CODE_HASH_KEYS: `h2:${h2},h1:${h1}` }, opts).hasher;
    assert.match(rotated.hash("v", "123456", ""), /^h2\./);
    assert.ok(rotated.candidates("v", "123456", "").includes(made));
    assert.ok(!rotated.candidates("v", "654321", "").includes(made));
    assert.notEqual(rotated.lookup("phone", "+62812"), switched.lookup("phone", "+62812"));
    // Once h1 is dropped its hashes no longer check.
    const dropped = secretsFromEnv({ ...sealing, OTP_CODE_HASH_KEYS: `h2:${h2}` }, opts).hasher;
    assert.ok(!dropped.candidates("v", "123456", "").includes(made));
  });

  it("names the code-hash variable at fault", () => {
    assert.throws(
      () =>
        secretsFromEnv(
          {
            OTP_ENCRYPTION_KEYS: `k1:${b64()}`,
            OTP_CODE_HASH_KEYS: `h1:${b64()}`,
            OTP_CODE_HASH_ACTIVE_KEY_ID: "h9",
          },
          { allowEphemeral: false },
        ),
      /OTP_CODE_HASH_ACTIVE_KEY_ID h9 is not in OTP_CODE_HASH_KEYS/,
    );
    assert.throws(
      () => secretsFromEnv({ OTP_ENCRYPTION_KEYS: `k1:${b64()}` }, { allowEphemeral: false }),
      /OTP_CODE_HASH_KEYS \(or the legacy OTP_CODE_HASH_SECRET\) is required/,
    );
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
