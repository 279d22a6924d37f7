/**
 * The Store contract: one suite, run against every adapter (store.memory.test.ts,
 * store.redis.test.ts), so the in-process store and Redis cannot drift apart.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
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

export function storeContract(adapter: string, factory: StoreFactory): void {
  describe(`Store contract: ${adapter}`, () => {
    let fixture: StoreFixture;
    let store: Store;
    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    describe("keys and values", () => {
      test("key() prepends the prefix", () => {
        assert.equal(store.key("a:b"), `${fixture.prefix}a:b`);
      });

      test("set, get, set-if-absent and del", async () => {
        const k = store.key("plain");
        assert.equal(await store.get(k), null);
        assert.equal(await store.set(k, "one"), true);
        assert.equal(await store.get(k), "one");
        assert.equal(await store.set(k, "two", { onlyIfAbsent: true }), false);
        assert.equal(await store.get(k), "one");
        assert.equal(await store.set(k, "three"), true);
        assert.equal(await store.get(k), "three");
        await store.set(store.key("other"), "x");
        assert.equal(await store.del(k, store.key("other"), store.key("missing")), 2);
        assert.equal(await store.del(k), 0);
        assert.equal(await store.del(), 0);
        assert.equal(await store.get(k), null);
      });

      test("pttl: -2 when missing, -1 without expiry, the remaining ms otherwise", async () => {
        const k = store.key("ttl");
        assert.equal(await store.pttl(k), -2);
        await store.set(k, "v");
        assert.equal(await store.pttl(k), -1);
        await store.set(k, "v", { ttlMs: 60_000 });
        const ttl = await store.pttl(k);
        assert.ok(ttl > 0 && ttl <= 60_000, `pttl ${ttl}`);
        await store.set(k, "v2"); // a plain SET drops the old expiry
        assert.equal(await store.pttl(k), -1);
        assert.equal(await store.set(store.key("nx"), "v", { ttlMs: 60_000, onlyIfAbsent: true }), true);
        assert.ok((await store.pttl(store.key("nx"))) > 0);
      });

      test("keys expire after their TTL", async () => {
        const k = store.key("short");
        await store.set(k, "v", { ttlMs: 50 });
        await eventually(async () => (await store.get(k)) === null);
        assert.equal(await store.pttl(k), -2);
        assert.equal(await store.set(k, "again", { onlyIfAbsent: true }), true);
      });

      test("a non-positive or fractional TTL is refused", async () => {
        await assert.rejects(store.set(store.key("bad"), "v", { ttlMs: 0 }), otpError("OTP_INTERNAL"));
        await assert.rejects(store.set(store.key("bad"), "v", { ttlMs: 1.5 }), otpError("OTP_INTERNAL"));
      });

      test("now() is the server time in integer milliseconds", async () => {
        const first = await store.now();
        const second = await store.now();
        assert.ok(Number.isInteger(first));
        assert.ok(second >= first);
        // Same machine or a synchronised one; the bound only catches unit mistakes (s, µs).
        assert.ok(Math.abs(first - Date.now()) < 5 * 60_000, `now() ${first} vs ${Date.now()}`);
      });

      test("clear() deletes its own prefix only, even with glob characters in it", async () => {
        // Unescaped, the pattern `<p>a*:*` would also match `<p>ab:...`.
        const globby = fixture.open(`${fixture.prefix}a*:`);
        const neighbour = fixture.open(`${fixture.prefix}ab:`);
        for (let i = 0; i < 30; i++) await globby.set(globby.key(`k${i}`), "v");
        await globby.run(counterWindow, { key: "t", windowMs: 60_000, limit: 5 });
        await neighbour.set(neighbour.key("k"), "keep");
        await store.set(store.key("k"), "keep");
        await globby.clear();
        assert.equal(await globby.get(globby.key("k0")), null);
        assert.equal(await globby.get(globby.key("k29")), null);
        assert.equal((await globby.run(counterWindow, { key: "t", windowMs: 60_000, limit: 5 })).count, 1);
        assert.equal(await neighbour.get(neighbour.key("k")), "keep");
        assert.equal(await store.get(store.key("k")), "keep");
      });

      test("a prefix with braces is refused (it would capture the hash tag)", () => {
        assert.throws(() => fixture.open(`${fixture.prefix}{x}:`), otpError("CONFIG_INVALID"));
      });
    });

    describe("rateLimit (GCRA)", () => {
      test("allows the burst at once, then denies with a retry-after within one interval", async () => {
        const input = { key: "burst", ratePerSec: 0.1, burst: 3 }; // one token per 10 s
        const results = [];
        for (let i = 0; i < 4; i++) results.push(await store.run(rateLimit, input));
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

      test("allows again once the retry-after has passed", async () => {
        const input = { key: "recover", ratePerSec: 20, burst: 2 };
        let denial;
        for (let i = 0; i < 100 && !denial; i++) {
          const result = await store.run(rateLimit, input);
          if (!result.allowed) denial = result;
        }
        assert.ok(denial, "never denied");
        assert.ok(
          denial.retryAfterMs > 0 && denial.retryAfterMs <= 50,
          `retryAfterMs ${denial.retryAfterMs}`,
        );
        await sleep(denial.retryAfterMs);
        await eventually(async () => (await store.run(rateLimit, input)).allowed);
      });

      test("limit per period, costs, peeking with cost 0, independent keys", async () => {
        const input = { key: "cost", limit: 10, periodMs: 3_600_000, burst: 10 }; // one per 6 min
        assert.deepEqual(await store.run(rateLimit, { ...input, cost: 4 }), {
          allowed: true,
          retryAfterMs: 0,
          remaining: 6,
        });
        assert.equal((await store.run(rateLimit, { ...input, cost: 4 })).remaining, 2);
        const denied = await store.run(rateLimit, { ...input, cost: 4 });
        assert.equal(denied.allowed, false);
        assert.equal(denied.remaining, 2, "a denied request reports what is left");
        // Two more tokens are needed: two intervals of 360 s, minus the time the test took.
        assert.ok(denied.retryAfterMs > 700_000 && denied.retryAfterMs <= 720_000, `${denied.retryAfterMs}`);
        assert.deepEqual(await store.run(rateLimit, { ...input, cost: 0 }), {
          allowed: true,
          retryAfterMs: 0,
          remaining: 2,
        });
        assert.equal((await store.run(rateLimit, { ...input, key: "cost-other" })).remaining, 9);
      });

      test("refuses impossible settings", async () => {
        const base = { key: "bad", ratePerSec: 1, burst: 2 };
        await assert.rejects(store.run(rateLimit, { ...base, cost: 3 }), otpError("OTP_INTERNAL"));
        await assert.rejects(store.run(rateLimit, { ...base, burst: 0 }), otpError("OTP_INTERNAL"));
        await assert.rejects(store.run(rateLimit, { ...base, ratePerSec: 0 }), otpError("OTP_INTERNAL"));
        await assert.rejects(store.run(rateLimit, { ...base, key: "a}b" }), otpError("OTP_INTERNAL"));
      });
    });

    describe("counterWindow", () => {
      test("counts up to the limit, then refuses without counting", async () => {
        const input = { key: "sends", windowMs: 60_000, limit: 3 };
        const results = [];
        for (let i = 0; i < 5; i++) results.push(await store.run(counterWindow, input));
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

      test("costs and cost 0 as a read", async () => {
        const input = { key: "cost", windowMs: 60_000, limit: 5 };
        assert.deepEqual(await store.run(counterWindow, { ...input, cost: 3 }), {
          allowed: true,
          count: 3,
          retryAfterMs: 0,
        });
        assert.equal((await store.run(counterWindow, { ...input, cost: 3 })).allowed, false);
        assert.equal((await store.run(counterWindow, { ...input, cost: 2 })).count, 5);
        assert.deepEqual(await store.run(counterWindow, { ...input, cost: 0 }), {
          allowed: true,
          count: 5,
          retryAfterMs: 0,
        });
        await assert.rejects(store.run(counterWindow, { ...input, cost: 6 }), otpError("OTP_INTERNAL"));
      });

      test("starts a new window when the old one ends", async () => {
        const input = { key: "short", windowMs: 100, limit: 1 };
        assert.equal((await store.run(counterWindow, input)).allowed, true);
        await eventually(async () => {
          const result = await store.run(counterWindow, input);
          return result.allowed && result.count === 1;
        });
      });
    });

    describe("setIfAbsentGet", () => {
      test("parallel writers: one wins, every writer reads the winner's value", async () => {
        const replicas = [store, ...Array.from({ length: 3 }, () => fixture.open(fixture.prefix))];
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

      test("the key expires, then a new writer wins", async () => {
        const first = await store.run(setIfAbsentGet, { key: "short", value: "a", ttlMs: 50 });
        assert.deepEqual(first, { created: true, value: "a" });
        await eventually(
          async () => (await store.run(setIfAbsentGet, { key: "short", value: "b", ttlMs: 60_000 })).created,
        );
        assert.deepEqual(await store.run(setIfAbsentGet, { key: "short", value: "c", ttlMs: 60_000 }), {
          created: false,
          value: "b",
        });
      });
    });

    describe("scripts in general", () => {
      test("Lua replies are converted as Redis converts them", async () => {
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
          assert.deepEqual(await store.run(replyConversion, testCase), expected, testCase);
        }
      });

      test("keys in different cluster slots are refused; one hash tag is fine", async () => {
        assert.notEqual(keySlot("k:{one}"), keySlot("k:{two}"));
        await assert.rejects(
          store.run(writeTwoKeys, { a: "k:{one}", b: "k:{two}" }),
          otpError("OTP_INTERNAL"),
        );
        assert.equal(await store.get(store.key("k:{one}")), null, "nothing was written");
        const a = taggedKey("k", "same", "a");
        const b = taggedKey("k", "same", "b");
        assert.equal(await store.run(writeTwoKeys, { a, b }), 2);
        assert.equal(await store.get(store.key(b)), "b");
      });

      test("an error inside a script is OTP_INTERNAL and leaves the store usable", async () => {
        await store.set(store.key("text"), "not a number");
        await assert.rejects(store.run(incrementKey, "text"), otpError("OTP_INTERNAL"));
        assert.equal(await store.run(incrementKey, "counter"), 1);
        await store.run(addMember, "zset");
        await assert.rejects(store.get(store.key("zset")), otpError("OTP_INTERNAL"));
      });
    });
  });
}
