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

    it("keeps a part and a ledger entry compact, and still reads the JSON objects written before", async () => {
      const map = createMessageMap(store);
      const sent = part({ messageId: "5E6F", causationId: "2f46b995-bf7f-45f5-8aca-bed6bc1c8402" });
      await map.remember([sent], 60_000);
      const raw = (await store.get(store.key("sms-msg:{sim|5E6F}"))) ?? "";
      assert.ok(raw.startsWith("[1,") && !raw.includes("verificationId"), `stored as ${raw}`);
      assert.ok(raw.length < JSON.stringify(sent).length * 0.7, "well under the object form");
      assert.deepEqual(await map.lookup("sim", "5E6F"), sent);
      const before = part({ messageId: "77", verificationId: "ver_old" });
      await store.set(store.key("sms-msg:{sim|77}"), JSON.stringify(before), { ttlMs: 60_000 });
      assert.deepEqual(await map.lookup("sim", "77"), before);

      const ledger = createAttemptLedger(store, "gw-a", () => 1_000);
      const outcome = {
        ...accepted(["9"], 5),
        providerSubmitDate: "2612071200",
        providerDoneDate: "2612071201",
      };
      await ledger.saveOutcome("ver_compact", 1, outcome, 60_000);
      const entry = (await store.get(store.key("sms-attempt:{ver_compact}:1"))) ?? "";
      assert.ok(entry.startsWith("[1,") && !entry.includes("phase"), `stored as ${entry}`);
      assert.deepEqual(await ledger.read("ver_compact", 1), {
        phase: "outcome",
        at: 1_000,
        owner: "gw-a",
        outcome,
      });
      const old = { phase: "sending", at: 5, owner: "gw-old" };
      await store.set(store.key("sms-attempt:{ver_old}:1"), JSON.stringify(old), { ttlMs: 60_000 });
      assert.deepEqual(await ledger.read("ver_old", 1), old);
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
