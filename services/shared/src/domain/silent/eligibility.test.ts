import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_POLICY } from "../policy/defaults";
import type { TenantPolicy } from "../policy/types";
import { servableChannels } from "./eligibility";
import { authorizeUrl } from "@platform/silent/authorize-url";

const gateway = {
  operators: ["id-telkomsel"],
  authorizeUrl: "https://og.example/authorize",
  tokenUrl: "https://og.example/token",
  verifyUrl: "https://og.example/number-verification/v0/verify",
  clientId: "bank-a",
  clientSecret: "sealed:k1:a.b.c",
  redirectUri: "https://otp.example/silent/callback",
  hashPhoneNumber: false,
};
const policy: TenantPolicy = {
  ...DEFAULT_POLICY,
  workflows: {
    ...DEFAULT_POLICY.workflows,
    silent_only: [{ channel: "silent", timeoutSeconds: 10, advanceWhen: "not_delivered" }],
  },
  silent: { gateways: { "telkomsel-og": gateway } },
};
const base = { policy, purpose: "pay", operator: "id-telkomsel", numberType: "mobile", mobileData: true };

describe("which channels can serve a start", () => {
  it("silent runs with mobile data and a gateway for the operator", () => {
    const d = servableChannels({ ...base, rules: { workflow: "silent_first", allowedChannels: [] } });
    assert.equal(d.silent?.name, "telkomsel-og");
    assert.deepEqual(d.channels, ["silent", "whatsapp", "sms", "voice"]);
  });

  it("without mobile data, silent is refused on the mobile_data field", () => {
    const d = servableChannels({
      ...base,
      mobileData: false,
      rules: { workflow: "silent_only", allowedChannels: [] },
    });
    assert.deepEqual(d.channels, []);
    assert.deepEqual(
      d.refused.map((r) => r.field),
      ["mobile_data"],
    );
  });

  it("an operator without a gateway refuses on phone; a channel class refuses the rest on purpose", () => {
    const d = servableChannels({
      ...base,
      operator: "id-tri",
      rules: { workflow: "silent_first", allowedChannels: ["silent"] },
    });
    assert.deepEqual(d.channels, []);
    assert.deepEqual(
      d.refused.map((r) => `${r.channel}:${r.field}`),
      ["silent:phone", "whatsapp:purpose", "sms:purpose", "voice:purpose"],
    );
  });

  it("the authorization URL asks for network verification with PKCE and carries no number", () => {
    const url = new URL(authorizeUrl(gateway, { state: "s".repeat(43), nonce: "n", codeChallenge: "c" }));
    assert.equal(url.searchParams.get("scope"), "openid number-verification:verify");
    assert.equal(url.searchParams.get("prompt"), "none");
    assert.equal(url.searchParams.get("code_challenge_method"), "S256");
    assert.equal(url.searchParams.get("login_hint"), null);
  });
});
