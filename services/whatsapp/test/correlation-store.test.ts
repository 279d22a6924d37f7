/**
 * MessageCorrelation contract, run on the in-memory port and on the Store-backed one over the
 * in-process store and a real Redis: claims once per (verification, attempt) across replicas,
 * wamid references with a TTL.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import {
  createMemoryCorrelation,
  type MessageCorrelation,
  type MessageRef,
} from "../src/message-correlation";
import { createStoreCorrelation } from "../src/store-correlation";
import { eventuallyAsync, sleep, storeBackends, type StoreFixture } from "@test/support/store-backends";

interface Subject {
  correlation: MessageCorrelation;
  /** The same data seen from another replica. */
  replica: MessageCorrelation;
  close(): Promise<void>;
}

const subjects: Array<{ name: string; open(): Subject }> = [
  {
    name: "in-memory port",
    open() {
      const correlation = createMemoryCorrelation();
      return { correlation, replica: correlation, close: async () => undefined };
    },
  },
  ...storeBackends(process.env.REDIS_URL).map((backend) => ({
    name: `store-backed, ${backend.name}`,
    open(): Subject {
      const fixture: StoreFixture = backend.open();
      return {
        correlation: createStoreCorrelation(fixture.store),
        replica: createStoreCorrelation(fixture.replica),
        close: () => fixture.close(),
      };
    },
  })),
];

const ref = (verificationId: string, attempt = 1): MessageRef => ({
  verificationId,
  attempt,
  tenant: "bank-a",
  district: "ID-JK-JS",
  operator: "id-telkomsel",
  route: "meta-primary",
});

for (const subject of subjects) {
  describe(`message correlation: ${subject.name}`, () => {
    let s: Subject;
    beforeEach(() => {
      s = subject.open();
    });
    afterEach(() => s.close());

    it("claims an attempt once, on every replica", async () => {
      assert.equal(await s.correlation.claimAttempt("ver_a", 1, 60_000), true);
      assert.equal(await s.correlation.claimAttempt("ver_a", 1, 60_000), false);
      assert.equal(await s.replica.claimAttempt("ver_a", 1, 60_000), false);
      assert.equal(await s.replica.claimAttempt("ver_a", 2, 60_000), true);
      assert.equal(await s.correlation.claimAttempt("ver_b", 1, 60_000), true);
    });

    it("gives a concurrent claim to exactly one caller", async () => {
      const claims = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? s.replica : s.correlation).claimAttempt("ver_c", 3, 60_000),
        ),
      );
      assert.equal(claims.filter(Boolean).length, 1);
    });

    it("lets a claim lapse after its TTL", async () => {
      assert.equal(await s.correlation.claimAttempt("ver_d", 1, 50), true);
      await eventuallyAsync("claim lapsed", () => s.correlation.claimAttempt("ver_d", 1, 50));
    });

    it("maps a message id to its verification, attempt, tenant, district, operator and route", async () => {
      await s.correlation.remember("wamid.HBgLNjI4MTI=", ref("ver_e", 2), 60_000);
      assert.deepEqual(await s.replica.lookup("wamid.HBgLNjI4MTI="), ref("ver_e", 2));
      assert.equal(await s.replica.lookup("wamid.unknown"), undefined);
    });

    it("forgets a message id after its TTL", async () => {
      await s.correlation.remember("wamid.short", ref("ver_f"), 40);
      await sleep(60);
      await eventuallyAsync(
        "reference expired",
        async () => (await s.correlation.lookup("wamid.short")) === undefined,
      );
    });
  });
}
