import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEV_TOKENS } from "@platform/development/tokens";
import { bannerTokens, decideDevMode, isLoopback } from "./dev-mode";

const loopback = [{ variable: "GRPC_ADDRESS", host: "127.0.0.1" }];

describe("development mode", () => {
  it("is on with the embedded bus and store and every listener on loopback", () => {
    assert.deepEqual(decideDevMode({ env: {}, listeners: loopback }), {
      kind: "development",
      devTokens: true,
    });
    const configured = decideDevMode({ env: { OTP_TOKENS: "[]" }, listeners: loopback });
    assert.deepEqual(
      configured,
      { kind: "development", devTokens: false },
      "own tokens replace the public ones",
    );
  });

  it("refuses the development tokens with a real backend or a listener off loopback, saying what to set", () => {
    const cases = [
      { env: { KAFKA_BROKERS: "kafka:9092" }, listeners: loopback, why: "KAFKA_BROKERS is set" },
      { env: { REDIS_URL: "redis://r:6379" }, listeners: loopback, why: "REDIS_URL is set" },
      {
        env: {},
        listeners: [{ variable: "GRPC_ADDRESS", host: "0.0.0.0" }],
        why: "GRPC_ADDRESS listens on 0.0.0.0, which is not loopback",
      },
    ];
    for (const { env, listeners, why } of cases) {
      const mode = decideDevMode({ env, listeners });
      assert.equal(mode.kind, "refused");
      assert.ok(mode.kind === "refused" && mode.message.includes(why), why);
      assert.ok(mode.kind === "refused" && /Set OTP_TOKENS .* or OTP_TLS_CA/s.test(mode.message));
    }
  });

  it("runs without development tokens or the inbox once real credentials are given", () => {
    for (const env of [
      { KAFKA_BROKERS: "k:9092", OTP_TOKENS: "[]" },
      { REDIS_URL: "redis://r", OTP_TLS_CA: "/ca" },
    ]) {
      assert.deepEqual(decideDevMode({ env, listeners: loopback }), { kind: "deployed" });
    }
  });

  it("knows loopback hosts", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"])
      assert.ok(isLoopback(host), host);
    for (const host of ["0.0.0.0", "::", "10.0.0.5", "otp.internal"]) assert.ok(!isLoopback(host), host);
  });

  it("the banner's tokens name two tenants, the admins and the service", () => {
    const line = bannerTokens(DEV_TOKENS);
    assert.match(line, /tenant demo-bank: dev-token-tenant-demo-bank/);
    assert.match(line, /tenant demo-shop: dev-token-tenant-demo-shop/);
    assert.match(line, /admin:alice: dev-token-admin-alice-0001; admin:bob: dev-token-admin-bob-000002/);
    assert.match(line, /service:assistant: dev-token-service-assistant/);
  });
});
