/**
 * The gateway's state in the store, on Redis and on the in-process store alike: the attempt
 * ledger's claim, the message map across hex/decimal ids, and the final-receipt decision.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createMemoryStore } from "@platform/store/memory";
import type { Store } from "@platform/store/port";
import { createRedisStore } from "@platform/store/redis";
import { createAttemptLedger } from "../../src/dispatch/attempt-ledger";
import type { SentPart } from "../../src/dispatch/attempt-ref";
import { finalReceipt } from "../../src/dispatch/final-receipt";
import { createMessageMap } from "../../src/dispatch/message-map";
import { accepted } from "../../src/dispatch/outcomes";
import { infraFromEnv, uniquePrefix } from "./kafka-redis";

const stores: Store[] = [];
after(async () => {
  for (const store of stores) {
    await store.clear();
    await store.close();
  }
});

const adapters: Array<[string, () => Store]> = [
  ["memory", () => createMemoryStore({ prefix: `${uniquePrefix("mem")}:` })],
  ["redis", () => createRedisStore({ url: infraFromEnv().redisUrl, prefix: `${uniquePrefix("state")}:` })],
];

const part = (overrides: Partial<SentPart>): SentPart => ({
  verificationId: "ver_a",
  attempt: 1,
  tenant: "bank-a",
  district: "ID-JK",
  operator: "id-telkomsel",
  route: "sms-id",
  causationId: "evt-1",
  expiresAtMs: Date.now() + 300_000,
  account: "sim",
  bind: "sim-1",
  messageId: "1A2B",
  partIndex: 0,
  partCount: 1,
  submittedAtMs: Date.now(),
  ...overrides,
});

for (const [name, open] of adapters) {
  describe(`gateway store state (${name})`, () => {
    const store = open();
    stores.push(store);

    it("the attempt claim is taken once; the outcome replaces it", async () => {
      const ledger = createAttemptLedger(store, "gw-a", Date.now);
      const other = createAttemptLedger(store, "gw-b", Date.now);
      assert.deepEqual(await ledger.claim("ver_claim", 1, 60_000), { claimed: true });
      const second = await other.claim("ver_claim", 1, 60_000);
      assert.equal(second.claimed, false);
      assert.equal(second.claimed ? undefined : second.entry?.phase, "sending");
      assert.equal(second.claimed ? undefined : second.entry?.owner, "gw-a");
      assert.deepEqual(await other.claim("ver_claim", 2, 60_000), { claimed: true }, "another attempt");
      await ledger.saveOutcome("ver_claim", 1, accepted(["7"], 1), 60_000);
      assert.equal((await ledger.read("ver_claim", 1))?.outcome?.providerMessageId, "7");
      assert.equal((await other.read("ver_claim", 1))?.phase, "outcome");
      assert.ok((await store.pttl(store.key("sms-attempt:{ver_claim}:1"))) > 50_000);
    });

    it("the message map finds a hex id from its decimal receipt id, per account", async () => {
      const map = createMessageMap(store);
      await map.remember([part({ messageId: "1A2B" })], 60_000);
      assert.equal((await map.lookup("sim", "6699"))?.messageId, "1A2B");
      assert.equal((await map.lookup("sim", "1a2b"))?.verificationId, "ver_a");
      assert.equal(await map.lookup("other-account", "1A2B"), undefined);
      assert.equal(await map.lookup("sim", "999"), undefined);
    });

    it("the message map stores one key per id and matches both bases, padded or not", async () => {
      const map = createMessageMap(store);
      await map.remember([part({ messageId: "000012345", verificationId: "ver_dec" })], 60_000);
      await map.remember([part({ messageId: "0c1d", verificationId: "ver_hex" })], 60_000);
      assert.equal((await map.lookup("sim", "3039"))?.verificationId, "ver_dec", "hex receipt, decimal id");
      assert.equal((await map.lookup("sim", "12345"))?.verificationId, "ver_dec");
      assert.equal((await map.lookup("sim", "3101"))?.verificationId, "ver_hex", "decimal receipt, hex id");
      assert.equal((await map.lookup("sim", "000C1D"))?.verificationId, "ver_hex");
      assert.equal(await map.lookup("sim", "ZZ"), undefined);
    });

    it("final receipt: DELIVERED after the last part, first failure ends it, duplicates dropped", async () => {
      const run = (verificationId: string, partIndex: number, delivered: boolean, partCount = 3) =>
        store.run(finalReceipt, {
          verificationId,
          attempt: 1,
          partIndex,
          partCount,
          delivered,
          ttlMs: 60_000,
        });
      assert.equal(await run("ver_parts", 0, true), "pending");
      assert.equal(await run("ver_parts", 0, true), "duplicate");
      assert.equal(await run("ver_parts", 2, true), "pending");
      assert.equal(await run("ver_parts", 1, true), "final");
      assert.equal(await run("ver_parts", 1, true), "duplicate");

      assert.equal(await run("ver_fail", 1, true), "pending");
      assert.equal(await run("ver_fail", 0, false), "final");
      assert.equal(await run("ver_fail", 2, true), "duplicate");

      assert.equal(await run("ver_single", 0, true, 1), "final");
      assert.equal(await run("ver_single", 0, false, 1), "duplicate");
    });
  });
}
