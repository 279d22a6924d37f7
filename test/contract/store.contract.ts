/**
 * The Store contract: one suite, run against every adapter (store.memory.test.ts,
 * store.redis.test.ts), so the in-process store and Redis cannot drift apart.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { isOtpError, type ErrorCode } from "@domain/errors";
import { taggedKey, type Reply, type Script, type Store } from "@platform/store/port";
import { keySlot } from "@platform/store/slots";
import { counterWindow, rateLimit, setIfAbsentGet } from "@platform/store/scripts";

export interface StoreFixture {
  store: Store;
  /** The prefix `store` was made with. */
  prefix: string;
  /** Another store on the same backend (another connection, like another replica). */
  open(prefix: string): Store;
  /** Clears and closes every store of the fixture. */
  cleanup(): Promise<void>;
}

export type StoreFactory = () => Promise<StoreFixture>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` is true; fails after `timeoutMs` (generous: these are not benchmarks). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}

function otpError(code: ErrorCode) {
  return (err: unknown) => {
    assert.ok(isOtpError(err), `expected OtpError ${code}, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  };
}

/** Returns Lua values that exercise Redis' Lua-to-RESP conversion; ARGV[1] picks one. */
const replyConversion: Script<string, Reply> = {
  name: "otpTestReplyConversion",
  numberOfKeys: 0,
  lua: `
local case = ARGV[1]
if case == 'float' then return 3.99 end
if case == 'negative-float' then return -2.7 end
if case == 'small-negative' then return -0.5 end
if case == 'true' then return true end
if case == 'false' then return false end
if case == 'nil' then return nil end
if case == 'empty' then return {} end
if case == 'numeric-string' then return '42' end
return {3.7, -2.9, true, false, 'x', {1, {2.5, 'y', false}}, nil, 5}
`,
  local: (_db, _keys, [testCase]) => {
    switch (testCase ?? "array") {
      case "float":
        return 3.99;
      case "negative-float":
        return -2.7;
      case "small-negative":
        return -0.5;
      case "true":
        return true;
      case "false":
        return false;
      case "nil":
        return null;
      case "empty":
        return [];
      case "numeric-string":
        return "42";
      default:
        return [3.7, -2.9, true, false, "x", [1, [2.5, "y", false]], null, 5];
    }
  },
  encode: (testCase) => ({ keys: [], argv: [testCase] }),
  decode: (reply) => reply,
};

/** Writes two keys in one script: valid only when they share a cluster slot. */
const writeTwoKeys: Script<{ a: string; b: string }, Reply> = {
  name: "otpTestWriteTwoKeys",
  numberOfKeys: 2,
  lua: "redis.call('SET', KEYS[1], 'a') redis.call('SET', KEYS[2], 'b') return 2",
  local: (db, [a = "", b = ""]) => {
    db.set(a, "a");
    db.set(b, "b");
    return 2;
  },
  encode: (input, key) => ({ keys: [key(input.a), key(input.b)], argv: [] }),
  decode: (reply) => reply,
};

/** INCRBY on whatever the key holds: fails inside the script when it is not an integer. */
const incrementKey: Script<string, Reply> = {
  name: "otpTestIncrementKey",
  numberOfKeys: 1,
  lua: "return redis.call('INCRBY', KEYS[1], 1)",
  local: (db, [k = ""]) => db.incrby(k, 1),
  encode: (suffix, key) => ({ keys: [key(suffix)], argv: [] }),
  decode: (reply) => reply,
};

/** Adds a member to a sorted set: a key that is not a string. */
const addMember: Script<string, Reply> = {
  name: "otpTestAddMember",
  numberOfKeys: 1,
  lua: "return redis.call('ZADD', KEYS[1], 1, 'x')",
  local: (db, [k = ""]) => db.zadd(k, 1, "x"),
  encode: (suffix, key) => ({ keys: [key(suffix)], argv: [] }),
  decode: (reply) => reply,
};

/** The fixture of the case running now: each case gets a fresh one. */
interface StoreCase {
  readonly fixture: StoreFixture;
  readonly store: Store;
}

export function storeContract(adapter: string, factory: StoreFactory): void {
  describe(`Store contract: ${adapter}`, () => {
    let fixture: StoreFixture | undefined;
    const current: StoreCase = {
      get fixture() {
        assert.ok(fixture, "a store case runs between beforeEach and afterEach");
        return fixture;
      },
      get store() {
        return this.fixture.store;
      },
    };
    beforeEach(async () => {
      fixture = await factory();
    });
    afterEach(async () => {
      await fixture?.cleanup();
    });
    keysAndValuesCases(current);
    rateLimitCases(current);
    counterWindowCases(current);
    setIfAbsentGetCases(current);
    scriptCases(current);
  });
}

function keysAndValuesCases(s: StoreCase): void {
  describe("keys and values", () => {
    it("key() prepends the prefix", () => {
      assert.equal(s.store.key("a:b"), `${s.fixture.prefix}a:b`);
    });

    it("set, get, set-if-absent and del", async () => {
      const k = s.store.key("plain");
      assert.equal(await s.store.get(k), null);
      assert.equal(await s.store.set(k, "one"), true);
      assert.equal(await s.store.get(k), "one");
      assert.equal(await s.store.set(k, "two", { onlyIfAbsent: true }), false);
      assert.equal(await s.store.get(k), "one");
      assert.equal(await s.store.set(k, "three"), true);
      assert.equal(await s.store.get(k), "three");
      await s.store.set(s.store.key("other"), "x");
      assert.equal(await s.store.del(k, s.store.key("other"), s.store.key("missing")), 2);
      assert.equal(await s.store.del(k), 0);
      assert.equal(await s.store.del(), 0);
      assert.equal(await s.store.get(k), null);
    });

    it("pttl: -2 when missing, -1 without expiry, the remaining ms otherwise", async () => {
      const k = s.store.key("ttl");
      assert.equal(await s.store.pttl(k), -2);
      await s.store.set(k, "v");
      assert.equal(await s.store.pttl(k), -1);
      await s.store.set(k, "v", { ttlMs: 60_000 });
      const ttl = await s.store.pttl(k);
      assert.ok(ttl > 0 && ttl <= 60_000, `pttl ${ttl}`);
      await s.store.set(k, "v2"); // a plain SET drops the old expiry
      assert.equal(await s.store.pttl(k), -1);
      assert.equal(await s.store.set(s.store.key("nx"), "v", { ttlMs: 60_000, onlyIfAbsent: true }), true);
      assert.ok((await s.store.pttl(s.store.key("nx"))) > 0);
    });

    it("keys expire after their TTL", async () => {
      const k = s.store.key("short");
      await s.store.set(k, "v", { ttlMs: 50 });
      await eventually(async () => (await s.store.get(k)) === null);
      assert.equal(await s.store.pttl(k), -2);
      assert.equal(await s.store.set(k, "again", { onlyIfAbsent: true }), true);
    });

    it("a non-positive or fractional TTL is refused", async () => {
      await assert.rejects(s.store.set(s.store.key("bad"), "v", { ttlMs: 0 }), otpError("OTP_INTERNAL"));
      await assert.rejects(s.store.set(s.store.key("bad"), "v", { ttlMs: 1.5 }), otpError("OTP_INTERNAL"));
    });

    it("now() is the server time in integer milliseconds", async () => {
      const first = await s.store.now();
      const second = await s.store.now();
      assert.ok(Number.isInteger(first));
      assert.ok(second >= first);
      // Same machine or a synchronised one; the bound only catches unit mistakes (s, µs).
      assert.ok(Math.abs(first - Date.now()) < 5 * 60_000, `now() ${first} vs ${Date.now()}`);
    });

    it("clear() deletes its own prefix only, even with glob characters in it", async () => {
      // Unescaped, the pattern `<p>a*:*` would also match `<p>ab:...`.
      const globby = s.fixture.open(`${s.fixture.prefix}a*:`);
      const neighbour = s.fixture.open(`${s.fixture.prefix}ab:`);
      for (let i = 0; i < 30; i++) await globby.set(globby.key(`k${i}`), "v");
      await globby.run(counterWindow, { key: "t", windowMs: 60_000, limit: 5 });
      await neighbour.set(neighbour.key("k"), "keep");
      await s.store.set(s.store.key("k"), "keep");
      await globby.clear();
      assert.equal(await globby.get(globby.key("k0")), null);
      assert.equal(await globby.get(globby.key("k29")), null);
      assert.equal((await globby.run(counterWindow, { key: "t", windowMs: 60_000, limit: 5 })).count, 1);
      assert.equal(await neighbour.get(neighbour.key("k")), "keep");
      assert.equal(await s.store.get(s.store.key("k")), "keep");
    });

    it("a prefix with braces is refused (it would capture the hash tag)", () => {
      assert.throws(() => s.fixture.open(`${s.fixture.prefix}{x}:`), otpError("CONFIG_INVALID"));
    });
  });
}

function rateLimitCases(s: StoreCase): void {
  describe("rateLimit (GCRA)", () => {
    it("allows the burst at once, then denies with a retry-after within one interval", async () => {
      const input = { key: "burst", ratePerSec: 0.1, burst: 3 }; // one token per 10 s
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await s.store.run(rateLimit, input));
      assert.deepEqual(
        results.slice(0, 3).map((r) => [r.allowed, r.remaining, r.retryAfterMs]),
        [
          [true, 2, 0],
          [true, 1, 0],
          [true, 0, 0],
        ],
      );
      const denied = results[3]!;
      assert.equal(denied.allowed, false);
      assert.equal(denied.remaining, 0);
      assert.ok(
        denied.retryAfterMs > 0 && denied.retryAfterMs <= 10_000,
        `retryAfterMs ${denied.retryAfterMs}`,
      );
    });

    it("allows again once the retry-after has passed", async () => {
      const input = { key: "recover", ratePerSec: 20, burst: 2 };
      let denial;
      for (let i = 0; i < 100 && !denial; i++) {
        const result = await s.store.run(rateLimit, input);
        if (!result.allowed) denial = result;
      }
      assert.ok(denial, "never denied");
      assert.ok(denial.retryAfterMs > 0 && denial.retryAfterMs <= 50, `retryAfterMs ${denial.retryAfterMs}`);
      await sleep(denial.retryAfterMs);
      await eventually(async () => (await s.store.run(rateLimit, input)).allowed);
    });

    it("limit per period, costs, peeking with cost 0, independent keys", async () => {
      const input = { key: "cost", limit: 10, periodMs: 3_600_000, burst: 10 }; // one per 6 min
      assert.deepEqual(await s.store.run(rateLimit, { ...input, cost: 4 }), {
        allowed: true,
        retryAfterMs: 0,
        remaining: 6,
      });
      assert.equal((await s.store.run(rateLimit, { ...input, cost: 4 })).remaining, 2);
      const denied = await s.store.run(rateLimit, { ...input, cost: 4 });
      assert.equal(denied.allowed, false);
      assert.equal(denied.remaining, 2, "a denied request reports what is left");
      // Two more tokens are needed: two intervals of 360 s, minus the time the test took.
      assert.ok(denied.retryAfterMs > 700_000 && denied.retryAfterMs <= 720_000, `${denied.retryAfterMs}`);
      assert.deepEqual(await s.store.run(rateLimit, { ...input, cost: 0 }), {
        allowed: true,
        retryAfterMs: 0,
        remaining: 2,
      });
      assert.equal((await s.store.run(rateLimit, { ...input, key: "cost-other" })).remaining, 9);
    });

    it("refuses impossible settings", async () => {
      const base = { key: "bad", ratePerSec: 1, burst: 2 };
      await assert.rejects(s.store.run(rateLimit, { ...base, cost: 3 }), otpError("OTP_INTERNAL"));
      await assert.rejects(s.store.run(rateLimit, { ...base, burst: 0 }), otpError("OTP_INTERNAL"));
      await assert.rejects(s.store.run(rateLimit, { ...base, ratePerSec: 0 }), otpError("OTP_INTERNAL"));
      await assert.rejects(s.store.run(rateLimit, { ...base, key: "a}b" }), otpError("OTP_INTERNAL"));
    });
  });
}

function counterWindowCases(s: StoreCase): void {
  describe("counterWindow", () => {
    it("counts up to the limit, then refuses without counting", async () => {
      const input = { key: "sends", windowMs: 60_000, limit: 3 };
      const results = [];
      for (let i = 0; i < 5; i++) results.push(await s.store.run(counterWindow, input));
      assert.deepEqual(
        results.map((r) => [r.allowed, r.count]),
        [
          [true, 1],
          [true, 2],
          [true, 3],
          [false, 3],
          [false, 3],
        ],
      );
      assert.equal(results[0]!.retryAfterMs, 0);
      const refusal = results[4]!.retryAfterMs;
      assert.ok(refusal > 0 && refusal <= 60_000, `retryAfterMs ${refusal}`);
    });

    it("costs and cost 0 as a read", async () => {
      const input = { key: "cost", windowMs: 60_000, limit: 5 };
      assert.deepEqual(await s.store.run(counterWindow, { ...input, cost: 3 }), {
        allowed: true,
        count: 3,
        retryAfterMs: 0,
      });
      assert.equal((await s.store.run(counterWindow, { ...input, cost: 3 })).allowed, false);
      assert.equal((await s.store.run(counterWindow, { ...input, cost: 2 })).count, 5);
      assert.deepEqual(await s.store.run(counterWindow, { ...input, cost: 0 }), {
        allowed: true,
        count: 5,
        retryAfterMs: 0,
      });
      await assert.rejects(s.store.run(counterWindow, { ...input, cost: 6 }), otpError("OTP_INTERNAL"));
    });

    it("starts a new window when the old one ends", async () => {
      const input = { key: "short", windowMs: 100, limit: 1 };
      assert.equal((await s.store.run(counterWindow, input)).allowed, true);
      await eventually(async () => {
        const result = await s.store.run(counterWindow, input);
        return result.allowed && result.count === 1;
      });
    });
  });
}

function setIfAbsentGetCases(s: StoreCase): void {
  describe("setIfAbsentGet", () => {
    it("parallel writers: one wins, every writer reads the winner's value", async () => {
      const replicas = [s.store, ...Array.from({ length: 3 }, () => s.fixture.open(s.fixture.prefix))];
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          replicas[i % replicas.length]!.run(setIfAbsentGet, {
            key: "idem",
            value: `v${i}`,
            ttlMs: 60_000,
          }),
        ),
      );
      const winners = results.filter((r) => r.created);
      assert.equal(winners.length, 1);
      assert.ok(results.every((r) => r.value === winners[0]!.value));
    });

    it("the key expires, then a new writer wins", async () => {
      const first = await s.store.run(setIfAbsentGet, { key: "short", value: "a", ttlMs: 50 });
      assert.deepEqual(first, { created: true, value: "a" });
      await eventually(
        async () => (await s.store.run(setIfAbsentGet, { key: "short", value: "b", ttlMs: 60_000 })).created,
      );
      assert.deepEqual(await s.store.run(setIfAbsentGet, { key: "short", value: "c", ttlMs: 60_000 }), {
        created: false,
        value: "b",
      });
    });
  });
}

function scriptCases(s: StoreCase): void {
  describe("scripts in general", () => {
    it("Lua replies are converted as Redis converts them", async () => {
      const cases: [string, Reply][] = [
        ["float", 3],
        ["negative-float", -2],
        ["small-negative", 0],
        ["true", 1],
        ["false", null],
        ["nil", null],
        ["empty", []],
        ["numeric-string", "42"],
        ["array", [3, -2, 1, null, "x", [1, [2, "y", null]]]],
      ];
      for (const [testCase, expected] of cases) {
        assert.deepEqual(await s.store.run(replyConversion, testCase), expected, testCase);
      }
    });

    it("keys in different cluster slots are refused; one hash tag is fine", async () => {
      assert.notEqual(keySlot("k:{one}"), keySlot("k:{two}"));
      await assert.rejects(
        s.store.run(writeTwoKeys, { a: "k:{one}", b: "k:{two}" }),
        otpError("OTP_INTERNAL"),
      );
      assert.equal(await s.store.get(s.store.key("k:{one}")), null, "nothing was written");
      const a = taggedKey("k", "same", "a");
      const b = taggedKey("k", "same", "b");
      assert.equal(await s.store.run(writeTwoKeys, { a, b }), 2);
      assert.equal(await s.store.get(s.store.key(b)), "b");
    });

    it("an error inside a script is OTP_INTERNAL and leaves the s.store usable", async () => {
      await s.store.set(s.store.key("text"), "not a number");
      await assert.rejects(s.store.run(incrementKey, "text"), otpError("OTP_INTERNAL"));
      assert.equal(await s.store.run(incrementKey, "counter"), 1);
      await s.store.run(addMember, "zset");
      await assert.rejects(s.store.get(s.store.key("zset")), otpError("OTP_INTERNAL"));
    });
  });
}
