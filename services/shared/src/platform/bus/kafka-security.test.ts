import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OtpError } from "@domain/errors";
import { describeKafkaSecurity, isLoopback, kafkaSecurityFromEnv } from "./kafka-security";

const files: Record<string, string> = { "/ca.pem": "CA", "/c.crt": "CERT", "/c.key": "KEY" };
const read = (file: string): Buffer => {
  const content = files[file];
  if (content === undefined) throw Object.assign(new Error("missing"), { code: "ENOENT" });
  return Buffer.from(content);
};

function problems(env: Record<string, string>): string {
  try {
    kafkaSecurityFromEnv(env, read);
  } catch (err) {
    assert.ok(err instanceof OtpError && err.code === "CONFIG_INVALID");
    return err.message;
  }
  assert.fail("expected CONFIG_INVALID");
}

const SASL = {
  KAFKA_SASL_MECHANISM: "scram-sha-512",
  KAFKA_SASL_USERNAME: "otp",
  KAFKA_SASL_PASSWORD: "s3cret-pw",
};

describe("Kafka transport security from the environment", () => {
  it("builds TLS with a CA and client certificate, and SCRAM-SHA-512", () => {
    const security = kafkaSecurityFromEnv(
      {
        KAFKA_BROKERS: "kafka-0.kafka:9093",
        KAFKA_TLS_CA: "/ca.pem",
        KAFKA_TLS_CERT: "/c.crt",
        KAFKA_TLS_KEY: "/c.key",
        ...SASL,
      },
      read,
    );
    assert.deepEqual(security.sasl, { mechanism: "scram-sha-512", username: "otp", password: "s3cret-pw" });
    assert.ok(typeof security.ssl === "object");
    assert.equal(security.ssl.rejectUnauthorized, true);
    assert.equal(String(security.ssl.cert), "CERT");
    assert.equal(describeKafkaSecurity(security), "TLS, SASL SCRAM-SHA-512");
  });

  it("allows plaintext without SASL on loopback, as in development", () => {
    assert.deepEqual(kafkaSecurityFromEnv({ KAFKA_BROKERS: "127.0.0.1:9092,localhost:9093" }, read), {});
  });

  it("refuses plaintext to brokers off loopback unless explicitly allowed", () => {
    assert.match(problems({ KAFKA_BROKERS: "kafka:9092" }), /KAFKA_BROKERS kafka:9092 are not on loopback/);
    assert.deepEqual(
      kafkaSecurityFromEnv({ KAFKA_BROKERS: "kafka:9092", KAFKA_ALLOW_PLAINTEXT: "true" }, read),
      {},
    );
  });

  it("never sends a SASL password in clear off loopback, and on loopback only when allowed", () => {
    const remote = problems({ KAFKA_BROKERS: "kafka:9092", KAFKA_ALLOW_PLAINTEXT: "true", ...SASL });
    assert.match(remote, /KAFKA_SASL_MECHANISM without TLS would send the password in clear to kafka:9092/);
    assert.ok(!remote.includes("s3cret-pw"));
    assert.match(
      problems({ KAFKA_BROKERS: "127.0.0.1:9092", ...SASL }),
      /KAFKA_ALLOW_PLAINTEXT=true for brokers on loopback/,
    );
    const local = kafkaSecurityFromEnv(
      { KAFKA_BROKERS: "127.0.0.1:9092", KAFKA_ALLOW_PLAINTEXT: "yes", ...SASL },
      read,
    );
    assert.equal(local.ssl, undefined);
    assert.equal(local.sasl?.mechanism, "scram-sha-512");
  });

  it("reports every problem together, each naming its variable", () => {
    const message = problems({
      KAFKA_BROKERS: "kafka:9093",
      KAFKA_TLS_CA: "/missing.pem",
      KAFKA_TLS_CERT: "/c.crt",
      KAFKA_SASL_MECHANISM: "plain",
      KAFKA_SASL_USERNAME: "otp",
      KAFKA_TLS: "maybe",
    });
    for (const expected of [
      /KAFKA_TLS="maybe": expected true or false/,
      /KAFKA_TLS_CERT is set without KAFKA_TLS_KEY/,
      /KAFKA_SASL_MECHANISM="plain": expected one of scram-sha-512, scram-sha-256/,
      /KAFKA_SASL_PASSWORD is required/,
      /KAFKA_TLS_CA=\/missing.pem: cannot read \(ENOENT\)/,
    ]) {
      assert.match(message, expected);
    }
  });

  it("knows loopback addresses", () => {
    for (const broker of ["127.0.0.1:9092", "127.1.2.3:1", "localhost:9092", "[::1]:9092"])
      assert.ok(isLoopback(broker), broker);
    for (const broker of ["10.0.0.1:9092", "kafka:9092", "127.0.0.1.evil.example:9092"])
      assert.ok(!isLoopback(broker), broker);
  });
});
