/** The memory phase's grouping of keys by kind. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { keyKind } from "./memory.bench";

describe("keyKind", () => {
  it("drops the store prefix of a tagged key and blanks its tag", () => {
    assert.equal(keyKind("bench-1a2b:vp:{ver_WhWaJgN_hLaKNWIL7EZehQ}"), "vp:{}");
  });
  it("blanks numbers and hashed phones after the tag", () => {
    assert.equal(keyKind("p:sms-attempt:{ver_x}:2"), "sms-attempt:{}:#");
    assert.equal(keyKind("p:limit:{bench}:send|nkiZLxqj3zDcznga7tseIJdCkSBUA"), "limit:{}:send|#");
    assert.equal(keyKind("p:vact:{bench}:DRtanXJRWYb1OteqRcgiawkwMhEPRgYUJ|signup"), "vact:{}:#|signup");
  });
  it("keeps a key's words apart from its numbers", () => {
    assert.equal(keyKind("p:limit:{bench}:cty|ID"), "limit:{}:cty|ID");
  });
});
