import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkIdToken, signIdToken } from "./id-token";

const now = 1_767_225_600_000;
const claims = { aud: "bank-a", nonce: "n-1", exp: now / 1000 + 60 };
const expect = { clientSecret: "s3cret", clientId: "bank-a", nonce: "n-1", now };

describe("ID token checks", () => {
  it("accepts a token for this client, unexpired, with this session's nonce", () => {
    assert.deepEqual(checkIdToken(signIdToken(claims, "s3cret"), expect), { ok: true });
  });
  it("rejects another session's nonce (a token replayed into this authorization)", () => {
    assert.deepEqual(checkIdToken(signIdToken({ ...claims, nonce: "n-2" }, "s3cret"), expect), {
      ok: false,
      problem: "nonce mismatch",
    });
  });
  it("rejects a token signed with another secret, or expired", () => {
    assert.equal(checkIdToken(signIdToken(claims, "other"), expect).ok, false);
    assert.equal(checkIdToken(signIdToken({ ...claims, exp: now / 1000 - 1 }, "s3cret"), expect).ok, false);
  });
});
