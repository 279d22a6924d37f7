/**
 * The limits script's parity suite: the same cases through its Lua body on a real Redis (one
 * node, and a three-master cluster, where keys of several slots would be refused) and its
 * TypeScript twin on the in-process store, with the same expectations.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { pumpBlockKey, pumpWindowKey } from "@verification-state/pumping-script";
import { activeKey, idempotencyKey } from "@verification-state/projector";
import { createMemoryStore } from "@platform/store/memory";
import { taggedKey, type Store } from "@platform/store/port";
import { createRedisStore } from "@platform/store/redis";
import { startRedisCluster, type RedisCluster } from "@test/harness/redis-cluster";
import { admitLimits, type LimitsInput, type LimitWindow } from "../src/limits-script";

const redisUrl = process.env.REDIS_URL;
if (!redisUrl) throw new Error("REDIS_URL is not set: run through `npm test` or export it");

const filePrefix = `otp-test-limits-${randomBytes(4).toString("hex")}:`;
const HOUR = 3_600_000;
const TENANT = "bank-a";

/** Nothing refills within a test: one request per hour. */
const slowRate = (burst: number) => ({ ratePerSec: 1 / 3600, burst });
const windowOf = (name: string, limit: number, windowMs = HOUR): LimitWindow => ({ name, windowMs, limit });
const pumpOf = (shadow: boolean) => ({
  prefix: "+62812",
  windowIndex: 1000,
  windowMs: HOUR,
  minSends: 2,
  minConversionPermille: 500,
  blockMs: HOUR,
  shadow,
});

function limitsSuite(adapter: string, open: (prefix: string) => Store): void {
  describe(`limits script: ${adapter}`, () => {
    const stores: Store[] = [];
    let n = 0;
    const fresh = () => {
      const store = open(`${filePrefix}${adapter}-${n++}:`);
      stores.push(store);
      return store;
    };
    after(async () => {
      for (const store of stores) {
        await store.clear();
        await store.close();
      }
    });
    const count = async (store: Store, name: string) =>
      Number((await store.get(store.key(taggedKey("limit", TENANT, name)))) ?? "0");
    const admit = (store: Store, input: Partial<LimitsInput>) =>
      store.run(admitLimits, { tenant: TENANT, windows: [], ...input });

    it("counts every window when all pass; a refusal counts in none and names its window", async () => {
      const store = fresh();
      const windows = [windowOf("start|p1", 5), windowOf("send|p1", 2), windowOf("cty|ID", 1, 60_000)];
      assert.equal((await admit(store, { windows })).kind, "admitted");
      assert.deepEqual([await count(store, "start|p1"), await count(store, "send|p1")], [1, 1]);
      const refused = await admit(store, { windows });
      assert.equal(refused.kind, "window-limited");
      assert.ok(refused.kind === "window-limited");
      assert.equal(refused.window, 2, "the country window refused");
      assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 60_000, `${refused.retryAfterMs}`);
      assert.deepEqual(
        [await count(store, "start|p1"), await count(store, "send|p1"), await count(store, "cty|ID")],
        [1, 1, 1],
        "nothing counted for the refused call",
      );
      const pttl = await store.pttl(store.key(taggedKey("limit", TENANT, "send|p1")));
      assert.ok(pttl > HOUR - 60_000 && pttl <= HOUR, "a window lasts from its first count");
    });

    it("the tenant rate answers first and stays counted when a window refuses", async () => {
      const store = fresh();
      const full = [windowOf("send|p2", 1)];
      assert.equal((await admit(store, { rate: slowRate(3), windows: full })).kind, "admitted");
      assert.equal((await admit(store, { rate: slowRate(3), windows: full })).kind, "window-limited");
      assert.equal(
        (await admit(store, { rate: slowRate(3) })).kind,
        "admitted",
        "third request of the burst",
      );
      const limited = await admit(store, { rate: slowRate(3), windows: [windowOf("send|p3", 5)] });
      assert.equal(limited.kind, "rate-limited");
      assert.ok(limited.kind === "rate-limited" && limited.retryAfterMs > 0);
      assert.equal(await count(store, "send|p3"), 0, "a refused rate counts nothing else");
    });

    it("an existing idempotency key answers with its verification and claims nothing else", async () => {
      const store = fresh();
      const idem = (value: string) => ({ key: idempotencyKey(TENANT, "h1"), value, ttlMs: HOUR });
      const active = (value: string) => ({ key: activeKey(TENANT, "p4", "login"), value, ttlMs: HOUR });
      const windows = [windowOf("send|p4", 5)];
      assert.equal(
        (await admit(store, { idempotency: idem("v1"), active: active("v1"), windows })).kind,
        "admitted",
      );
      assert.deepEqual(await admit(store, { idempotency: idem("v2"), active: active("v2"), windows }), {
        kind: "idempotent",
        verificationId: "v1",
      });
      assert.equal(await count(store, "send|p4"), 1);
      assert.equal(await store.get(store.key(activeKey(TENANT, "p4", "login"))), "v1");
    });

    it("an idempotency key reused with other parameters answers a mismatch, in the same call, claiming nothing", async () => {
      const store = fresh();
      const key = idempotencyKey(TENANT, "h10");
      const idem = (value: string) => ({ key, value, ttlMs: HOUR });
      const windows = [windowOf("send|p10", 5)];
      assert.equal((await admit(store, { idempotency: idem("v1|fp-a"), windows })).kind, "admitted");
      assert.deepEqual(await admit(store, { idempotency: idem("v2|fp-a"), windows }), {
        kind: "idempotent",
        verificationId: "v1",
      });
      const other = {
        idempotency: idem("v3|fp-b"),
        active: { key: activeKey(TENANT, "p10", "x"), value: "v3", ttlMs: HOUR },
      };
      assert.deepEqual(await admit(store, { ...other, rate: slowRate(5), windows }), {
        kind: "idempotency-mismatch",
        verificationId: "v1",
      });
      assert.equal(await count(store, "send|p10"), 1, "a mismatch counts no send");
      assert.equal(await store.get(store.key(key)), "v1|fp-a", "the first parameters stay");
      assert.equal(await store.get(store.key(other.active.key)), null);
      // A value without a fingerprint (written before fingerprints existed) matches any parameters.
      const legacy = idempotencyKey(TENANT, "h11");
      await store.set(store.key(legacy), "v4", { ttlMs: HOUR });
      assert.deepEqual(await admit(store, { idempotency: { key: legacy, value: "v5|fp-c", ttlMs: HOUR } }), {
        kind: "idempotent",
        verificationId: "v4",
      });
    });

    it("an active verification answers unless the caller replaces the one it found ended", async () => {
      const store = fresh();
      const key = activeKey(TENANT, "p5", "login");
      const windows = [windowOf("send|p5", 5)];
      assert.equal(
        (await admit(store, { active: { key, value: "v1", ttlMs: HOUR }, windows })).kind,
        "admitted",
      );
      assert.deepEqual(await admit(store, { active: { key, value: "v2", ttlMs: HOUR }, windows }), {
        kind: "active",
        verificationId: "v1",
      });
      assert.equal(await count(store, "send|p5"), 1, "an active verification counts no send");
      const stale = { key, value: "v3", ttlMs: HOUR, replacing: "v0" };
      assert.deepEqual(await admit(store, { active: stale, windows }), {
        kind: "active",
        verificationId: "v1",
      });
      const replacing = { key, value: "v3", ttlMs: HOUR, replacing: "v1" };
      assert.equal((await admit(store, { active: replacing, windows })).kind, "admitted");
      assert.equal(await store.get(store.key(key)), "v3");
      const pttl = await store.pttl(store.key(key));
      assert.ok(pttl > HOUR - 60_000 && pttl <= HOUR);
    });

    it("a refused start claims neither key", async () => {
      const store = fresh();
      const claims = {
        idempotency: { key: idempotencyKey(TENANT, "h6"), value: "v1", ttlMs: HOUR },
        active: { key: activeKey(TENANT, "p6", "login"), value: "v1", ttlMs: HOUR },
      };
      await admit(store, { windows: [windowOf("send|p6", 1)] });
      assert.equal(
        (await admit(store, { ...claims, windows: [windowOf("send|p6", 1)] })).kind,
        "window-limited",
      );
      assert.equal(await store.get(store.key(claims.idempotency.key)), null);
      assert.equal(await store.get(store.key(claims.active.key)), null);
    });

    it("records sends for the pumping guard, blocks a prefix whose conversion is low, then refuses it", async () => {
      const store = fresh();
      const windows = [windowOf("send|p7", 10)];
      const first = await admit(store, { pump: pumpOf(false), blockedPrefix: "+62812", windows });
      assert.deepEqual(first, { kind: "admitted", pump: { judgedLow: false, sends: 1, verified: 0 } });
      const second = await admit(store, { pump: pumpOf(false), blockedPrefix: "+62812", windows });
      assert.deepEqual(second, { kind: "admitted", pump: { judgedLow: true, sends: 2, verified: 0 } });
      assert.equal(await store.get(store.key(pumpBlockKey(TENANT, "+62812"))), "1");
      assert.deepEqual(await admit(store, { pump: pumpOf(false), blockedPrefix: "+62812", windows }), {
        kind: "blocked",
      });
      assert.equal(await count(store, "send|p7"), 2, "a blocked send counts nothing");
      const window = await store.pttl(store.key(pumpWindowKey({ tenant: TENANT, ...pumpOf(false) }, 1000)));
      assert.ok(window > HOUR && window <= 2 * HOUR, "the pumping window lives two windows");
    });

    it("in shadow mode judges without blocking", async () => {
      const store = fresh();
      await admit(store, { pump: pumpOf(true) });
      const judged = await admit(store, { pump: pumpOf(true) });
      assert.deepEqual(judged, { kind: "admitted", pump: { judgedLow: true, sends: 2, verified: 0 } });
      assert.equal(await store.get(store.key(pumpBlockKey(TENANT, "+62812"))), null);
    });

    it("a start with every part at once: one call, one slot", async () => {
      const store = fresh();
      const windows = ["start|p9", "ip|203.0.113.9", "dev|d{9}", "send|p9", "pfx|+62812", "cty|ID"].map(
        (name) => windowOf(name, 5),
      );
      const start = {
        rate: slowRate(10),
        idempotency: { key: idempotencyKey(TENANT, "h9"), value: "v9", ttlMs: HOUR },
        active: { key: activeKey(TENANT, "p9", "login"), value: "v9", ttlMs: HOUR },
        blockedPrefix: "+62812",
        pump: pumpOf(false),
        windows,
      };
      assert.deepEqual(await admit(store, start), {
        kind: "admitted",
        pump: { judgedLow: false, sends: 1, verified: 0 },
      });
      for (const w of windows) assert.equal(await count(store, w.name), 1, w.name);
      assert.equal(await store.get(store.key(start.idempotency.key)), "v9");
    });

    it("refuses keys outside the tenant's slot and bad settings", async () => {
      const store = fresh();
      const elsewhere = { key: activeKey("bank-b", "p8", "login"), value: "v1", ttlMs: HOUR };
      await assert.rejects(admit(store, { active: elsewhere }), { code: "OTP_INTERNAL" });
      await assert.rejects(admit(store, { windows: [windowOf("x", 0)] }), { code: "OTP_INTERNAL" });
      await assert.rejects(store.run(admitLimits, { tenant: "a{b}", windows: [] }), { code: "OTP_INTERNAL" });
    });
  });
}

limitsSuite("in-process", (prefix) => createMemoryStore({ prefix }));
limitsSuite("Redis", (prefix) => createRedisStore({ url: redisUrl, prefix }));

describe("on Redis Cluster", () => {
  let cluster: RedisCluster | undefined;
  before(async () => {
    cluster = await startRedisCluster(3);
  });
  after(async () => {
    await cluster?.stop();
  });
  limitsSuite("Redis Cluster (3 masters)", (prefix) =>
    createRedisStore({ url: cluster?.url ?? assert.fail("cluster not started"), prefix }),
  );
});
