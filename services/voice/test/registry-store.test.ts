/**
 * CallRegistry and PendingReadings contracts, run on the in-memory ports and on the Store-backed
 * ones over the in-process store and a real Redis; plus what only the shared versions promise:
 * the pending code is stored sealed, bound to its verification.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, it } from "node:test";
import { createSealer } from "@platform/crypto/sealer";
import { isOtpError } from "@domain/errors";
import {
  createMemoryCallRegistry,
  createMemoryPendingReadings,
  type CallRegistry,
  type PendingReadings,
} from "../src/call-registry";
import { createStoreCallRegistry } from "../src/store-call-registry";
import { createStorePendingReadings } from "../src/store-pending-readings";
import { eventuallyAsync, sleep, storeBackends, type StoreFixture } from "@test/support/store-backends";

const sealer = createSealer({ activeKeyId: "k1", keys: new Map([["k1", randomBytes(32)]]) });

interface Subject {
  registry: CallRegistry;
  readings: PendingReadings;
  /** The same data seen from another replica. */
  replica: { registry: CallRegistry; readings: PendingReadings };
  fixture?: StoreFixture;
  close(): Promise<void>;
}

const subjects: Array<{ name: string; open(): Subject }> = [
  {
    name: "in-memory ports",
    open() {
      const registry = createMemoryCallRegistry();
      const readings = createMemoryPendingReadings();
      return { registry, readings, replica: { registry, readings }, close: async () => undefined };
    },
  },
  ...storeBackends(process.env.REDIS_URL).map((backend) => ({
    name: `store-backed, ${backend.name}`,
    open(): Subject {
      const fixture = backend.open();
      return {
        registry: createStoreCallRegistry(fixture.store),
        readings: createStorePendingReadings(fixture.store, sealer),
        replica: {
          registry: createStoreCallRegistry(fixture.replica),
          readings: createStorePendingReadings(fixture.replica, sealer),
        },
        fixture,
        close: () => fixture.close(),
      };
    },
  })),
];

for (const subject of subjects) {
  describe(`voice call registry: ${subject.name}`, () => {
    let s: Subject;
    beforeEach(() => {
      s = subject.open();
    });
    afterEach(() => s.close());

    it("claims an attempt once, on every replica", async () => {
      assert.equal(await s.registry.claimAttempt("ver_a", 3, 60_000), true);
      assert.equal(await s.replica.registry.claimAttempt("ver_a", 3, 60_000), false);
      assert.equal(await s.replica.registry.claimAttempt("ver_a", 4, 60_000), true);
    });

    it("moves a call's status forward only; final statuses never change", async () => {
      const { registry } = s;
      const track = (status: Parameters<CallRegistry["track"]>[1]["status"], callId = "CA1") =>
        registry.track("ver_b", { callId, attempt: 3, status }, 60_000);
      assert.equal(await track("queued"), "moved");
      assert.equal(await track("ringing"), "moved");
      assert.equal(await track("ringing"), "repeated");
      assert.equal(await track("initiated"), "stale", "a late, older status");
      assert.equal(
        await s.replica.registry.track("ver_b", { callId: "CA1", attempt: 3, status: "in-progress" }, 60_000),
        "moved",
      );
      assert.equal(await track("completed"), "moved");
      assert.equal(await track("completed"), "repeated");
      assert.equal(await track("canceled"), "stale", "after a final status");
      assert.equal(await track("queued", "CA2"), "moved", "another call of the verification");
      assert.deepEqual(
        (await s.replica.registry.callsOf("ver_b")).sort((a, b) => a.callId.localeCompare(b.callId)),
        [
          { callId: "CA1", attempt: 3, status: "completed" },
          { callId: "CA2", attempt: 3, status: "queued" },
        ],
      );
      assert.deepEqual(await registry.callsOf("ver_other"), []);
    });

    it("ends with the latest status whatever order concurrent callbacks arrive in", async () => {
      const statuses = ["initiated", "ringing", "in-progress", "completed"] as const;
      const moved = await Promise.all(
        [...statuses]
          .reverse()
          .map((status, i) =>
            (i % 2 ? s.replica.registry : s.registry).track(
              "ver_c",
              { callId: "CA9", attempt: 1, status },
              60_000,
            ),
          ),
      );
      assert.ok(moved.includes("moved"));
      assert.deepEqual(await s.registry.callsOf("ver_c"), [
        { callId: "CA9", attempt: 1, status: "completed" },
      ]);
    });

    it("keeps the longest TTL a call was tracked with", async () => {
      await s.registry.track("ver_d", { callId: "CA1", attempt: 1, status: "queued" }, 60_000);
      await s.registry.track("ver_d", { callId: "CA1", attempt: 1, status: "ringing" }, 30);
      await sleep(80);
      assert.equal((await s.registry.callsOf("ver_d"))[0]?.status, "ringing");
      await s.registry.track("ver_e", { callId: "CA2", attempt: 1, status: "queued" }, 30);
      await eventuallyAsync(
        "short-lived calls forgotten",
        async () => (await s.registry.callsOf("ver_e")).length === 0,
      );
    });

    it("cancels a whole verification or one attempt of it", async () => {
      await s.registry.markCancelled("ver_f", 60_000, 2);
      assert.equal(await s.replica.registry.isCancelled("ver_f", 2), true);
      assert.equal(await s.replica.registry.isCancelled("ver_f", 3), false);
      assert.equal(await s.replica.registry.isCancelled("ver_f"), false);
      await s.registry.markCancelled("ver_f", 60_000);
      assert.equal(await s.replica.registry.isCancelled("ver_f", 3), true);
      assert.equal(await s.replica.registry.isCancelled("ver_f"), true);
      assert.equal(await s.replica.registry.isCancelled("ver_g"), false);
    });
  });

  describe(`voice pending readings: ${subject.name}`, () => {
    let s: Subject;
    beforeEach(() => {
      s = subject.open();
    });
    afterEach(() => s.close());

    const reading = { verificationId: "ver_r", code: "482913", locale: "id-ID" };

    it("gives a reading once, to whichever replica takes it first", async () => {
      await s.readings.put("CA1", reading, 60_000);
      const taken = await Promise.all([
        s.readings.take("CA1"),
        s.replica.readings.take("CA1"),
        s.readings.take("CA1"),
      ]);
      assert.deepEqual(
        taken.filter((t) => t !== undefined),
        [reading],
      );
      assert.equal(await s.readings.take("CA1"), undefined);
    });

    it("drops a reading, and forgets it after its TTL", async () => {
      await s.readings.put("CA2", reading, 60_000);
      await s.readings.drop("CA2");
      assert.equal(await s.replica.readings.take("CA2"), undefined);
      await s.readings.put("CA3", reading, 30);
      await sleep(60);
      await eventuallyAsync("reading expired", async () => (await s.readings.take("CA3")) === undefined);
    });
  });
}

for (const backend of storeBackends(process.env.REDIS_URL)) {
  describe(`voice pending readings at rest: ${backend.name}`, () => {
    let fixture: StoreFixture;
    beforeEach(() => {
      fixture = backend.open();
    });
    afterEach(() => fixture.close());

    it("stores the code only sealed, bound to its verification", async () => {
      const readings = createStorePendingReadings(fixture.store, sealer);
      const key = fixture.store.key("voice-reading:CA7");
      await readings.put("CA7", { verificationId: "ver_s", code: "482913", locale: "en-US" }, 60_000);
      const stored = (await fixture.store.get(key)) ?? assert.fail("nothing stored");
      assert.ok(!stored.includes("482913"), "the code is stored in clear");
      const ttl = await fixture.store.pttl(key);
      assert.ok(ttl > 0 && ttl <= 60_000, `TTL ${ttl}`);

      // The ciphertext moved to another verification does not open.
      await fixture.store.set(key, stored.replace('"ver_s"', '"ver_x"'), { ttlMs: 60_000 });
      await assert.rejects(readings.take("CA7"), (err) => isOtpError(err) && err.code === "OTP_INTERNAL");
    });
  });
}
