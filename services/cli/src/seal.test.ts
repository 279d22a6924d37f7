/**
 * `otp seal gateway-secret`: the sealed value opens with the platform's keys under the gateway's
 * name only, a policy file accepts it, and the secret never comes from or goes to the terminal
 * in clear. The last test runs the CLI as a user does, the secret piped in.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { secretsFromEnv } from "@platform/crypto/keys";
import { validatePolicy } from "@domain/policy/validate";
import { openGatewaySecret } from "@platform/silent/gateway-secret";
import { parseArgs, UsageError } from "./args";
import { sealCommand } from "./seal";

const env = {
  OTP_ENCRYPTION_KEYS: `k7:${randomBytes(32).toString("base64")}`,
  OTP_CODE_HASH_SECRET: randomBytes(32).toString("base64"),
};
const sealer = secretsFromEnv(env, { allowEphemeral: false }).sealer;
const seal = (argv: string[], stdin: string | undefined, e: Record<string, string> = env) =>
  sealCommand(parseArgs(argv), e, () => stdin);

const gatewayEntry = (clientSecret: string) => ({
  silent: {
    gateways: {
      "telkomsel-og": {
        operators: ["id-telkomsel"],
        authorizeUrl: "https://og.example-operator.id/oidc/authorize",
        tokenUrl: "https://og.example-operator.id/oidc/token",
        verifyUrl: "https://og.example-operator.id/camara/number-verification/v0/verify",
        clientId: "bank-a",
        clientSecret,
        redirectUri: "https://otp.bank-a.example/silent/callback",
        hashPhoneNumber: true,
      },
    },
  },
});

describe("otp seal gateway-secret", () => {
  it("seals with the active key, for that gateway only, and the policy file accepts it", () => {
    const out = seal(["seal", "gateway-secret", "telkomsel-og"], "s3cret-of-the-operator\n");
    assert.match(out.text, /^sealed:k7:/);
    assert.ok(!out.text.includes("s3cret"), "the output carries no clear secret");
    assert.equal(openGatewaySecret(sealer, "telkomsel-og", out.text), "s3cret-of-the-operator");
    assert.throws(() => openGatewaySecret(sealer, "indosat-og", out.text), "bound to the gateway's name");
    const other = secretsFromEnv(
      {
        OTP_ENCRYPTION_KEYS: `k7:${randomBytes(32).toString("base64")}`,
        OTP_CODE_HASH_SECRET: env.OTP_CODE_HASH_SECRET,
      },
      { allowEphemeral: false },
    ).sealer;
    assert.throws(() => openGatewaySecret(other, "telkomsel-og", out.text), "opens with these keys only");
    const policy = validatePolicy(gatewayEntry(out.text));
    assert.ok(policy.ok, JSON.stringify(policy));
    assert.equal(
      validatePolicy(gatewayEntry("s3cret-of-the-operator")).ok,
      false,
      "a clear secret is refused",
    );
  });

  it("refuses what it cannot seal safely, as usage errors", () => {
    const refusal = (argv: string[], stdin: string | undefined, e: Record<string, string> = env) =>
      assert.throws(() => seal(argv, stdin, e), UsageError);
    refusal(["seal", "gateway-secret", "telkomsel-og"], undefined); // nothing piped: a terminal
    refusal(["seal", "gateway-secret", "telkomsel-og"], "\n");
    refusal(["seal", "gateway-secret", "Telkomsel OG"], "x");
    refusal(["seal", "gateway-secret"], "x");
    refusal(["seal", "token", "telkomsel-og"], "x");
    refusal(["seal", "gateway-secret", "telkomsel-og"], "x", {});
  });

  it("runs as `npm run otp -- seal gateway-secret <gateway>` with the secret on stdin", () => {
    const stdout = execFileSync(
      process.execPath,
      ["--import", "tsx", "services/cli/src/main.ts", "seal", "gateway-secret", "telkomsel-og", "--json"],
      { input: "piped-operator-secret", env: { PATH: process.env.PATH, ...env }, encoding: "utf8" },
    );
    const out = JSON.parse(stdout) as { gateway: string; clientSecret: string };
    assert.equal(out.gateway, "telkomsel-og");
    assert.equal(openGatewaySecret(sealer, "telkomsel-og", out.clientSecret), "piped-operator-secret");
  });
});
