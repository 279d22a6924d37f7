import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLocalDb } from "./local-db";

function manualClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

function dbAt(clock = manualClock()) {
  return { clock, db: createLocalDb({ clock: clock.now, sweepIntervalMs: 0 }) };
}

describe("LocalDb", () => {
  it("a key lives until its expiry time has passed, like Redis (now > expireAt)", () => {
    const { clock, db } = dbAt();
    db.set("k", "v", { px: 100 });
    clock.advance(100);
    assert.equal(db.get("k"), "v");
    assert.equal(db.pttl("k"), 0);
    clock.advance(1);
    assert.equal(db.get("k"), null);
    assert.equal(db.pttl("k"), -2);
  });

  it("SET drops the TTL unless keepTtl; NX refuses an existing key", () => {
    const { db } = dbAt();
    db.set("k", "v", { px: 100 });
    db.set("k", "w", { keepTtl: true });
    assert.equal(db.pttl("k"), 100);
    db.set("k", "x");
    assert.equal(db.pttl("k"), -1);
    assert.equal(db.set("k", "y", { nx: true }), false);
    assert.equal(db.get("k"), "x");
    assert.throws(() => db.set("k", "v", { px: 0 }), /invalid expire time/);
  });

  it("INCRBY keeps the TTL and parses integers strictly", () => {
    const { db } = dbAt();
    assert.equal(db.incrby("n", 5), 5);
    db.pexpire("n", 1_000);
    assert.equal(db.incrby("n", -7), -2);
    assert.equal(db.pttl("n"), 1_000);
    for (const bad of ["1.5", " 1", "01", "+1", "", "abc"]) {
      db.set("bad", bad);
      assert.throws(() => db.incrby("bad", 1), /not an integer/, JSON.stringify(bad));
    }
    db.set("big", String(Number.MAX_SAFE_INTEGER));
    assert.throws(() => db.incrby("big", 1), /overflow/);
  });

  it("PEXPIRE: false on a missing key, a past time deletes at once", () => {
    const { db } = dbAt();
    assert.equal(db.pexpire("missing", 10), false);
    db.set("k", "v");
    assert.equal(db.pexpire("k", 0), true);
    assert.equal(db.exists("k"), false);
    db.set("k", "v");
    assert.equal(db.pexpireat("k", db.timeMs() + 50), true);
    assert.equal(db.pttl("k"), 50);
  });

  it("commands on the wrong type fail with WRONGTYPE", () => {
    const { db } = dbAt();
    db.zadd("z", 1, "a");
    db.hset("h", { f: "1" });
    assert.throws(() => db.get("z"), /WRONGTYPE/);
    assert.throws(() => db.hget("z", "f"), /WRONGTYPE/);
    assert.throws(() => db.zadd("h", 1, "a"), /WRONGTYPE/);
    assert.throws(() => db.incrby("h", 1), /WRONGTYPE/);
  });

  it("hashes: HSET counts new fields, HINCRBY, HDEL removes the emptied key", () => {
    const { db } = dbAt();
    assert.equal(db.hset("h", { a: "1", b: "2" }), 2);
    assert.equal(db.hset("h", { a: "3", c: "4" }), 1);
    assert.deepEqual(db.hgetall("h"), { a: "3", b: "2", c: "4" });
    assert.equal(db.hincrby("h", "a", 2), 5);
    assert.throws(() => db.hincrby("h", "x", 1.5), /not an integer/);
    assert.equal(db.hget("h", "x"), null, "a failed HINCRBY leaves no field");
    assert.equal(db.hdel("h", "a", "b", "c", "zz"), 3);
    assert.equal(db.exists("h"), false);
    assert.deepEqual(db.hgetall("h"), {});
  });

  it("sorted sets: ZADD updates, ranges by score then member, ZREM removes the emptied key", () => {
    const { db } = dbAt();
    assert.equal(db.zadd("z", 2, "b"), 1);
    assert.equal(db.zadd("z", 1, "c"), 1);
    assert.equal(db.zadd("z", 2, "a"), 1);
    assert.equal(db.zadd("z", 5, "c"), 0);
    assert.deepEqual(db.zrangebyscore("z", -Infinity, Infinity), [
      ["a", 2],
      ["b", 2],
      ["c", 5],
    ]);
    assert.deepEqual(db.zrangebyscore("z", 2, 4, 1), [["a", 2]]);
    assert.equal(db.zscore("z", "c"), 5);
    assert.equal(db.zcard("z"), 3);
    assert.equal(db.zrem("z", "a", "b", "c"), 3);
    assert.equal(db.exists("z"), false);
  });

  it("keysWithPrefix skips expired keys", () => {
    const { clock, db } = dbAt();
    db.set("p:1", "v");
    db.set("p:2", "v", { px: 10 });
    db.set("q:1", "v");
    clock.advance(11);
    assert.deepEqual(db.keysWithPrefix("p:"), ["p:1"]);
  });

  it("the periodic sweep reclaims expired keys nobody reads", async () => {
    const clock = manualClock();
    const db = createLocalDb({ clock: clock.now, sweepIntervalMs: 5 });
    try {
      for (let i = 0; i < 100; i++) db.set(`k${i}`, "v", { px: 10 });
      db.set("keep", "v");
      clock.advance(11);
      assert.equal(db.dbsize(), 101);
      const deadline = Date.now() + 10_000;
      while (db.dbsize() > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      assert.equal(db.dbsize(), 1);
    } finally {
      db.close();
    }
  });
});
