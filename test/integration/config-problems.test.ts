/**
 * A service started with several configuration mistakes names every one of them, each with its
 * variable, in one start, and exits 2 before connecting to anything.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";

const run = (main: string, env: Record<string, string>) =>
  spawnSync(process.execPath, ["--import", "tsx", main], {
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
    timeout: 60_000,
  });

describe("configuration problems", () => {
  it("issuance reports its own, the platform's, gRPC's and admission's problems together", () => {
    const result = run("services/issuance/src/main.ts", {
      ISSUANCE_MAX_IN_FLIGHT: "many",
      KAFKA_BROKERS: "kafka.example.com:9093",
      REDIS_URL: "redis://127.0.0.1:1",
      OTP_CODE_HASH_KEYS: "h1:short",
      OTP_DISTRICTS: "ID-JK,not a district",
      OTP_TOKENS: "not json",
      GRPC_MAX_METADATA_BYTES: "12",
      ADMISSION_LOOP_LAG_MS: "0",
    });
    assert.equal(result.status, 2, result.stderr);
    const named = [
      "ISSUANCE_MAX_IN_FLIGHT",
      "KAFKA_TLS", // plaintext to a broker off loopback
      "OTP_ENCRYPTION_KEYS",
      "OTP_CODE_HASH_KEYS",
      "OTP_DISTRICTS",
      "OTP_EVENT_KEYS",
      "OTP_TOKENS",
      "GRPC_MAX_METADATA_BYTES",
      "ADMISSION_LOOP_LAG_MS",
    ];
    for (const variable of named) assert.match(result.stderr, new RegExp(variable), `names ${variable}`);
    assert.match(result.stderr, /^invalid configuration:\n/);
  });
});
