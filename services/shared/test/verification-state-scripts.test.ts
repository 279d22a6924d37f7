/**
 * The projection's write and check scripts on both store adapters (Lua on a real Redis, the
 * TypeScript twin in process), with the same expectations.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, it } from "node:test";
import { CheckOutcome } from "@proto/otp/events/v1/events";
import { createMemoryStore } from "@platform/store/memory";
import type { Store } from "@platform/store/port";
import { createRedisStore } from "@platform/store/redis";
import { checkCode, projectVerification, type ProjectInput } from "@verification-state/scripts";

const redisUrl = process.env.REDIS_URL;
if (!redisUrl) throw new Error("REDIS_URL is not set: run through `npm test` or export it");

const filePrefix = `otp-test-projection-${randomBytes(4).toString("hex")}:`;

const projected = (verificationId: string): ProjectInput => ({
  verificationId,
  tenant: "bank-a",
  status: "pending",
  checksUsed: 0,
  maxChecks: 3,
  expiresAt: Date.now() + 600_000,
  bindingDigest: "",
  codes: [{ a: 1, h: "hash-of-123456", e: Date.now() + 600_000 }],
  doc: "{}",
  retainUntil: Date.now() + 3_600_000,
  prefix: "+62812",
  codeLength: 6,
});

function scriptsSuite(adapter: string, open: (prefix: string) => Store): void {
  describe(`projection scripts: ${adapter}`, () => {
    const store = open(`${filePrefix}${adapter}:`);
    after(async () => {
      await store.clear();
      await store.close();
    });
    const check = (verificationId: string, candidateHash: string, candidateLength = 6) =>
      store.run(checkCode, {
        verificationId,
        tenant: "bank-a",
        candidateHashes: [candidateHash],
        candidateBinding: "",
        candidateLength,
      });

    it("a successful check answers with the destination prefix, for the pumping guard", async () => {
      await store.run(projectVerification, projected("v-ok"));
      const wrong = await check("v-ok", "hash-of-000000");
      assert.equal(wrong.kind === "decided" && wrong.outcome, CheckOutcome.CHECK_OUTCOME_WRONG_CODE);
      assert.equal(wrong.kind === "decided" && wrong.prefix, undefined);
      const right = await check("v-ok", "hash-of-123456");
      assert.deepEqual(right, {
        kind: "decided",
        outcome: CheckOutcome.CHECK_OUTCOME_VERIFIED,
        checksUsed: 2,
        matchedAttempt: 1,
        lockedNow: false,
        maxChecks: 3,
        prefix: "+62812",
      });
      const again = await check("v-ok", "hash-of-123456");
      assert.equal(again.kind === "decided" && again.outcome, CheckOutcome.CHECK_OUTCOME_ALREADY_USED);
      assert.equal(again.kind === "decided" && again.prefix, undefined, "only a success counts");
    });

    it("an unknown verification or another tenant's is missing", async () => {
      await store.run(projectVerification, projected("v-other"));
      assert.deepEqual(await check("v-none", "hash-of-123456"), { kind: "missing" });
      const foreign = await store.run(checkCode, {
        verificationId: "v-other",
        tenant: "bank-b",
        candidateHashes: ["hash-of-123456"],
        candidateBinding: "",
        candidateLength: 6,
      });
      assert.deepEqual(foreign, { kind: "missing" });
    });

    it("a code of the wrong length names the expected length and uses no attempt", async () => {
      await store.run(projectVerification, projected("v-len"));
      assert.deepEqual(await check("v-len", "hash-of-12345", 5), { kind: "wrong-length", expectedLength: 6 });
      const wrong = await check("v-len", "hash-of-000000");
      assert.equal(wrong.kind === "decided" && wrong.checksUsed, 1, "the mistyped length counted nothing");
      // A hash written before the length was kept checks any length as before.
      await store.run(projectVerification, { ...projected("v-old"), codeLength: 0 });
      const old = await check("v-old", "hash-of-12345", 5);
      assert.equal(old.kind === "decided" && old.outcome, CheckOutcome.CHECK_OUTCOME_WRONG_CODE);
    });

    it("with a code per attempt, only the two newest codes verify", async () => {
      const future = Date.now() + 600_000;
      const codes = [
        { a: 0, h: "hash-first", e: future },
        { a: 1, h: "hash-whatsapp", e: future },
        { a: 2, h: "hash-sms", e: future },
      ];
      for (const [id, hash, verified] of [
        ["v-n1", "hash-first", false],
        ["v-n2", "hash-whatsapp", true],
        ["v-n3", "hash-sms", true],
      ] as const) {
        await store.run(projectVerification, { ...projected(id), codes });
        const d = await check(id, hash);
        assert.equal(
          d.kind === "decided" && d.outcome === CheckOutcome.CHECK_OUTCOME_VERIFIED,
          verified,
          hash,
        );
      }
    });

    it("a check matches a code hashed under any configured key, and only those", async () => {
      // Stored under h1 before a rotation made h2 active: the candidate list holds both keys' hashes.
      await store.run(projectVerification, {
        ...projected("v-rotated"),
        codes: [{ a: 1, h: "h1.mac-of-123456", e: Date.now() + 600_000 }],
      });
      const retired = await store.run(checkCode, {
        verificationId: "v-rotated",
        tenant: "bank-a",
        candidateHashes: ["h2.mac-of-123456"],
        candidateBinding: "",
        candidateLength: 6,
      });
      assert.equal(retired.kind === "decided" && retired.outcome, CheckOutcome.CHECK_OUTCOME_WRONG_CODE);
      const both = await store.run(checkCode, {
        verificationId: "v-rotated",
        tenant: "bank-a",
        candidateHashes: ["h2.mac-of-123456", "h1.mac-of-123456"],
        candidateBinding: "",
        candidateLength: 6,
      });
      assert.equal(both.kind === "decided" && both.outcome, CheckOutcome.CHECK_OUTCOME_VERIFIED);
    });

    it("a failed verification checks as failed, a cancelled one as cancelled", async () => {
      await store.run(projectVerification, { ...projected("v-failed"), status: "failed" });
      await store.run(projectVerification, { ...projected("v-cancelled"), status: "cancelled" });
      const failed = await check("v-failed", "hash-of-123456");
      assert.equal(failed.kind === "decided" && failed.outcome, CheckOutcome.CHECK_OUTCOME_FAILED);
      const cancelled = await check("v-cancelled", "hash-of-123456");
      assert.equal(cancelled.kind === "decided" && cancelled.outcome, CheckOutcome.CHECK_OUTCOME_CANCELLED);
    });
  });
}

scriptsSuite("in-process", (prefix) => createMemoryStore({ prefix }));
scriptsSuite("Redis", (prefix) => createRedisStore({ url: redisUrl, prefix }));
