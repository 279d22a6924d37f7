import assert from "node:assert/strict";
import { it } from "node:test";
import { isOtpError } from "@domain/errors";
import { taggedKey } from "./port";
import { assertSameSlot, keySlot } from "./slots";

it("keySlot matches the Redis Cluster specification's examples", () => {
  assert.equal(keySlot("123456789"), 0x31c3 % 16384); // the CRC16-XMODEM check value
  assert.equal(keySlot("foo"), 12182);
  assert.equal(keySlot("{user1000}.following"), keySlot("{user1000}.followers"));
  assert.notEqual(keySlot("foo{}{bar}"), keySlot("bar"), "an empty tag means the whole key");
  assert.equal(keySlot("foo{{bar}}zap"), keySlot("{bar"));
});

it("taggedKey keys of one tag share a slot whatever the prefix", () => {
  const a = `svc:${taggedKey("verification", "v-123", "attempts")}`;
  const b = `svc:${taggedKey("verification", "v-123", "code")}`;
  assert.equal(keySlot(a), keySlot(b));
  assert.equal(keySlot(a), keySlot("v-123"));
  assert.doesNotThrow(() => assertSameSlot("s", [a, b]));
  assert.doesNotThrow(() => assertSameSlot("s", []));
  assert.throws(
    () => assertSameSlot("s", [a, `svc:${taggedKey("verification", "v-124")}`]),
    (err) => isOtpError(err) && err.code === "OTP_INTERNAL",
  );
});
