/**
 * Routing's store scripts as a contract: the same expectations against the in-process store and
 * a real Redis, so their Lua and local bodies cannot drift apart.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, it } from "node:test";
import { createMemoryStore } from "@platform/store/memory";
import type { Store } from "@platform/store/port";
import { createRedisStore } from "@platform/store/redis";
import {
  readHealthIndex,
  readHealthScope,
  recordHealth,
  touchHealthIndex,
  transitionHealth,
} from "../src/store-scripts";

const redisUrl = process.env.REDIS_URL;
if (!redisUrl) throw new Error("REDIS_URL is not set: run through `npm test` or export it");

const filePrefix = `otp-test-routing-scripts-${randomBytes(4).toString("hex")}:`;

function scriptContract(adapter: string, open: (prefix: string) => Store): void {
  describe(`routing store scripts: ${adapter}`, () => {
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

    it("health buckets: increments add up within a bucket and a reused slot starts afresh", async () => {
      const store = fresh();
      const base = { scope: "d:ID-JK", bucketMs: 10_000, slots: 3, ttlMs: 60_000 };
      const inc = (
        series: string,
        sent: number,
        delivered: number,
        failed: number,
        verified: number,
        h: number,
      ) => ({
        series,
        sent,
        delivered,
        failed,
        verified,
        histogramIndex: h,
      });
      await store.run(recordHealth, { ...base, atMs: 1_000, increments: [inc("whatsapp", 1, 0, 0, 0, -1)] });
      await store.run(recordHealth, {
        ...base,
        atMs: 9_999,
        increments: [inc("whatsapp", 0, 1, 0, 0, 2), inc("whatsapp/wa-main", 0, 1, 0, 0, 9)],
      });
      await store.run(recordHealth, { ...base, atMs: 15_000, increments: [inc("whatsapp", 0, 0, 1, 1, -1)] });
      let fields = await store.run(readHealthScope, "d:ID-JK");
      assert.equal(fields["b|whatsapp|0"], "0,1,1,0,0,0,0,1,0,0,0,0,0,0,0");
      assert.equal(fields["b|whatsapp/wa-main|0"], "0,0,1,0,0,0,0,0,0,0,0,0,0,0,1");
      assert.equal(fields["b|whatsapp|1"], "1,0,0,1,1,0,0,0,0,0,0,0,0,0,0");

      // Epoch 3 lands in slot 0 again: the old bucket is replaced, not added to.
      await store.run(recordHealth, { ...base, atMs: 30_500, increments: [inc("whatsapp", 2, 0, 0, 0, -1)] });
      fields = await store.run(readHealthScope, "d:ID-JK");
      assert.equal(fields["b|whatsapp|0"], "3,2,0,0,0,0,0,0,0,0,0,0,0,0,0");
      assert.deepEqual(await store.run(readHealthScope, "d:nowhere"), {});
      const ttl = await store.pttl(store.key("health:{d:ID-JK}"));
      assert.ok(ttl > 50_000 && ttl <= 60_000, `ttl ${ttl}`);
    });

    it("health buckets: a summed increment counts each delivered sample in its latency slot", async () => {
      const store = fresh();
      const base = { scope: "d:ID-BD", bucketMs: 10_000, slots: 3, ttlMs: 60_000, atMs: 1_000 };
      await store.run(recordHealth, {
        ...base,
        increments: [
          { series: "sms", sent: 0, delivered: 3, failed: 0, verified: 0, histogramIndex: 1 },
          { series: "sms", sent: 5, delivered: 0, failed: 2, verified: 1, histogramIndex: -1 },
        ],
      });
      const fields = await store.run(readHealthScope, "d:ID-BD");
      assert.equal(fields["b|sms|0"], "0,5,3,2,1,0,3,0,0,0,0,0,0,0,0");
    });

    it("health state transitions apply only from the state read", async () => {
      const store = fresh();
      const move = (expected: string, next: string) =>
        store.run(transitionHealth, { scope: "d:ID-JK", series: "whatsapp", expected, next, ttlMs: 60_000 });
      assert.equal(await move("", "down,1000"), true);
      assert.equal(await move("", "degraded,1001"), false, "someone else moved it first");
      assert.equal(await move("down,1000", "healthy,2000"), true);
      assert.equal((await store.run(readHealthScope, "d:ID-JK"))["s|whatsapp"], "healthy,2000");
    });

    it("health index: scopes written recently; stale ones are dropped", async () => {
      const store = fresh();
      await store.run(touchHealthIndex, { scope: "d:ID-JK", atMs: 1_000 });
      await store.run(touchHealthIndex, { scope: "d:PH-MNL", atMs: 5_000 });
      assert.deepEqual((await store.run(readHealthIndex, { nowMs: 6_000, maxAgeMs: 10_000 })).sort(), [
        "d:ID-JK",
        "d:PH-MNL",
      ]);
      assert.deepEqual(await store.run(readHealthIndex, { nowMs: 12_000, maxAgeMs: 10_000 }), ["d:PH-MNL"]);
      assert.deepEqual(await store.run(readHealthIndex, { nowMs: 0, maxAgeMs: 1 }), ["d:PH-MNL"], "deleted");
    });

    it("scripts refuse keys that would break the hash tag", async () => {
      const store = fresh();
      await assert.rejects(store.run(readHealthScope, "d:{evil}"), /OTP_INTERNAL|braces/);
    });
  });
}

scriptContract("in-memory", (prefix) => createMemoryStore({ prefix }));
scriptContract("Redis", (prefix) => createRedisStore({ url: redisUrl, prefix }));
