import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isOtpError } from "@domain/errors";
import { luaToReply, redisValueToReply, replyArray, replyInteger } from "./reply";

describe("luaToReply (Redis' Lua-to-RESP2 rules)", () => {
  it("numbers are truncated toward zero", () => {
    assert.equal(luaToReply(3.99), 3);
    assert.equal(luaToReply(-3.99), -3);
    assert.ok(Object.is(luaToReply(-0.5), 0), "no negative zero");
    assert.throws(() => luaToReply(Number.NaN), /non-finite/);
  });

  it("true is 1, false and nil are nil", () => {
    assert.equal(luaToReply(true), 1);
    assert.equal(luaToReply(false), null);
    assert.equal(luaToReply(null), null);
    assert.equal(luaToReply(undefined), null);
  });

  it("arrays end at the first nil; false inside is a nil element", () => {
    assert.deepEqual(luaToReply([1, false, "x", null, 2]), [1, null, "x"]);
    assert.deepEqual(luaToReply([[1.5, undefined, 3], true]), [[1], 1]);
  });
});

describe("redisValueToReply", () => {
  it("passes RESP values through and decodes buffers", () => {
    assert.deepEqual(redisValueToReply([1, "a", null, [Buffer.from("b")]]), [1, "a", null, ["b"]]);
  });

  it("throws a nested error reply", () => {
    assert.throws(() => redisValueToReply([1, new Error("ERR nested")]), /nested/);
  });
});

it("reply shape checks raise OTP_INTERNAL", () => {
  assert.throws(
    () => replyArray("s", 1),
    (err) => isOtpError(err) && err.code === "OTP_INTERNAL",
  );
  assert.throws(
    () => replyArray("s", [1], 2),
    (err) => isOtpError(err) && err.code === "OTP_INTERNAL",
  );
  assert.throws(
    () => replyInteger("s", "1"),
    (err) => isOtpError(err) && err.code === "OTP_INTERNAL",
  );
});
