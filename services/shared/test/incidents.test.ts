/**
 * The incident store on both store adapters (in-process and real Redis), with the same
 * expectations, so the Lua and local bodies of its scripts cannot drift apart.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Channel } from "@proto/otp/v1/common";
import { createMemoryStore } from "@platform/store/memory";
import type { Store } from "@platform/store/port";
import { createRedisStore } from "@platform/store/redis";
import { activeIncidents, cachedIncidentCheck, createIncidentStore } from "@platform/incidents";

const redisUrl = process.env.REDIS_URL;
if (!redisUrl) throw new Error("REDIS_URL is not set: run through `npm test` or export it");

const filePrefix = `otp-test-incidents-${randomBytes(4).toString("hex")}:`;
const T0 = new Date("2026-03-01T10:00:00Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

function incidentSuite(adapter: string, open: (prefix: string) => Store): void {
  describe(`incident store: ${adapter}`, () => {
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

    it("issuance's check reads the store in the background, at most once per second", async () => {
      const store = fresh();
      const incidents = createIncidentStore(store);
      let clock = T0.getTime();
      const active = cachedIncidentCheck(store, () => clock, 1_000, 60_000);
      /** The answer once the background refresh a call started has landed. */
      const settled = async (district: string, expected: boolean) => {
        for (let i = 0; i < 200 && (await active(district)) !== expected; i++) await sleep(10);
        return active(district);
      };
      assert.equal(await active("ID-JK-JS"), false, "the first start waits for the read");
      const declared = await incidents.declare({
        district: "ID-JK-JS",
        channels: [Channel.CHANNEL_WHATSAPP],
        notices: {},
        automatic: false,
        declaredBy: "admin:alice",
        now: T0,
      });
      clock += 999;
      assert.equal(await active("ID-JK-JS"), false, "still the cached answer");
      assert.equal(await active("ID-JB-BDG"), false);
      clock += 1;
      assert.equal(await active("ID-JK-JS"), false, "the answer in hand, while a read starts");
      assert.equal(await settled("ID-JK-JS", true), true, "the read after a second sees the incident");
      assert.equal(await active("ID-JB-BDG"), false, "other districts share the read");
      await incidents.resolve(declared.incidentId, "admin:bob", new Date(clock));
      clock += 1_000;
      assert.equal(await settled("ID-JK-JS", false), false);
      await incidents.declare({
        district: "ID-JB-BDG",
        channels: [Channel.CHANNEL_SMS],
        notices: {},
        automatic: false,
        declaredBy: "admin:alice",
        now: new Date(clock),
      });
      clock += 60_000;
      assert.equal(await active("ID-JB-BDG"), true, "an answer older than a minute is not used");
      assert.equal(await active(""), false);
    });

    it("declare, list active by district, resolve once", async () => {
      const store = fresh();
      const incidents = createIncidentStore(store);
      const declared = await incidents.declare({
        district: "ID-JK-JS",
        channels: [Channel.CHANNEL_WHATSAPP],
        notices: { en: "WhatsApp codes are slow in South Jakarta", id: "Kode WhatsApp lambat" },
        automatic: false,
        declaredBy: "admin:alice",
        now: T0,
      });
      await incidents.declare({
        district: "ID-JB-BDG",
        channels: [Channel.CHANNEL_SMS],
        notices: {},
        automatic: true,
        declaredBy: "routing:health",
        now: at(1),
      });
      assert.match(declared.incidentId, /^inc_[A-Za-z0-9_-]{16}$/);

      const active = await activeIncidents(store, "ID-JK-JS", at(2));
      assert.equal(active.length, 1);
      assert.deepEqual(active[0], declared);
      assert.equal((await incidents.list({ now: at(2) })).length, 2);

      const resolved = await incidents.resolve(declared.incidentId, "admin:bob", at(60));
      assert.equal(resolved?.resolvedNow, true);
      assert.deepEqual(resolved?.incident.resolvedAt, at(60));
      const again = await incidents.resolve(declared.incidentId, "admin:carol", at(90));
      assert.equal(again?.resolvedNow, false);
      assert.deepEqual(again?.incident.resolvedAt, at(60), "the first resolution wins");
      assert.equal(await incidents.resolve("inc_missing", "admin:bob", at(90)), undefined);

      assert.deepEqual(await activeIncidents(store, "ID-JK-JS", at(61)), []);
      const all = await incidents.list({ district: "ID-JK-JS", includeResolved: true, now: at(61) });
      assert.equal(all.length, 1);
      assert.deepEqual(all[0]?.notices, declared.notices);
    });

    it("an incident with `until` ends by itself, and ended ones are dropped after the retention", async () => {
      const store = fresh();
      const incidents = createIncidentStore(store, { keepEndedMs: 3_600_000 });
      await incidents.declare({
        district: "PH-MNL",
        channels: [Channel.CHANNEL_WHATSAPP, Channel.CHANNEL_SMS],
        until: at(600),
        notices: {},
        automatic: false,
        declaredBy: "admin:alice",
        now: T0,
      });
      assert.equal((await activeIncidents(store, "PH-MNL", at(599))).length, 1);
      assert.equal((await activeIncidents(store, "PH-MNL", at(600))).length, 0);
      assert.equal((await incidents.list({ includeResolved: true, now: at(600 + 3599) })).length, 1);
      assert.equal((await incidents.list({ includeResolved: true, now: at(600 + 3601) })).length, 0);
      assert.equal(
        (await incidents.list({ includeResolved: true, now: at(1) })).length,
        0,
        "deleted for good",
      );
    });

    it("no district means no incidents for issuance", async () => {
      assert.deepEqual(await activeIncidents(fresh(), "", T0), []);
    });
  });
}

incidentSuite("in-memory", (prefix) => createMemoryStore({ prefix }));
incidentSuite("Redis", (prefix) => createRedisStore({ url: redisUrl, prefix }));
