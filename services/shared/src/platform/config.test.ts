import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { address, bool, checkTogether, int, key256, list, oneOf, readConfig, secret, str } from "./config";
import { OtpError } from "@domain/errors";

const spec = {
  GRPC_ADDRESS: address("127.0.0.1:50051"),
  MAX_IN_FLIGHT: int(1000, { min: 1 }),
  TLS: bool(false),
  LOG_LEVEL: oneOf(["debug", "info", "warn", "error"] as const, "info"),
  KAFKA_BROKERS: list([]),
  CODE_HASH_SECRET: key256(),
  ADMIN_TOKEN: secret(),
  NAME: str("otp"),
};

describe("readConfig", () => {
  it("applies defaults and parses values", () => {
    const cfg = readConfig(spec, {
      CODE_HASH_SECRET: "a".repeat(64),
      ADMIN_TOKEN: "t",
      KAFKA_BROKERS: "k1:9092, k2:9092",
      MAX_IN_FLIGHT: "50",
      TLS: "yes",
    });
    assert.equal(cfg.GRPC_ADDRESS, "127.0.0.1:50051");
    assert.equal(cfg.MAX_IN_FLIGHT, 50);
    assert.equal(cfg.TLS, true);
    assert.deepEqual(cfg.KAFKA_BROKERS, ["k1:9092", "k2:9092"]);
    assert.equal(cfg.CODE_HASH_SECRET.length, 32);
  });

  it("reports every problem at once, without echoing secrets", () => {
    let caught: unknown;
    try {
      readConfig(spec, {
        GRPC_ADDRESS: "nope",
        MAX_IN_FLIGHT: "0",
        TLS: "maybe",
        CODE_HASH_SECRET: "shortsecret",
      });
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof OtpError);
    assert.equal(caught.code, "CONFIG_INVALID");
    for (const name of [
      "GRPC_ADDRESS",
      "MAX_IN_FLIGHT",
      "TLS",
      "CODE_HASH_SECRET",
      "ADMIN_TOKEN is required",
    ]) {
      assert.ok(caught.message.includes(name), `${name} in ${caught.message}`);
    }
    assert.ok(!caught.message.includes("shortsecret"));
  });
});

describe("checkTogether", () => {
  it("lists every problem of every check once, even when two checks read the same variable", () => {
    const env = { ISSUANCE_MAX_IN_FLIGHT: "x", LOG_LEVEL: "bogus" };
    const inFlight = () => readConfig({ ISSUANCE_MAX_IN_FLIGHT: int(2000, { min: 1 }) }, env);
    const level = () => readConfig({ LOG_LEVEL: oneOf(["info", "debug"], "info") }, env);
    assert.throws(
      () => checkTogether([inFlight, level, inFlight]),
      (err: OtpError) => {
        assert.equal(err.code, "CONFIG_INVALID");
        assert.equal(err.message.match(/ISSUANCE_MAX_IN_FLIGHT/g)?.length, 1, err.message);
        assert.match(err.message, /LOG_LEVEL="bogus"/);
        return true;
      },
    );
  });
});

describe("checkTogether, nested", () => {
  it("keeps a problem's continuation lines under it, however deep the checks nest", () => {
    const refusal = () => {
      throw new OtpError(
        "CONFIG_INVALID",
        "OTP_TOKENS: development tokens only on loopback.\n  Set OTP_TOKENS\n  or OTP_TLS_*.",
      );
    };
    const inner = () => checkTogether([refusal]);
    assert.throws(
      () =>
        checkTogether([inner, () => readConfig({ LOG_LEVEL: oneOf(["info"], "info") }, { LOG_LEVEL: "x" })]),
      (err: OtpError) => {
        assert.equal(
          err.message,
          "invalid configuration:\n" +
            "  - OTP_TOKENS: development tokens only on loopback.\n    Set OTP_TOKENS\n    or OTP_TLS_*.\n" +
            '  - LOG_LEVEL="x": expected one of info',
        );
        return true;
      },
    );
  });
});
