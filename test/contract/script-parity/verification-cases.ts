/** The hot projection's scripts: project, read, and the check rule (single use, lockout, expiry, two newest codes). */
import assert from "node:assert/strict";
import { CheckOutcome } from "@proto/otp/events/v1/events";
import { checkCode, projectVerification, type ProjectInput } from "@verification-state/scripts";
import { readProjection } from "@verification-state/read-script";
import { step, type ParityCase } from "./parity";

const MINUTE = 60_000;

const projected = (id: string, now: number, over: Partial<ProjectInput> = {}): ProjectInput => ({
  verificationId: id,
  tenant: "bank-a",
  status: "pending",
  checksUsed: 0,
  maxChecks: 3,
  expiresAt: now + 5 * MINUTE,
  bindingDigest: "bind-1",
  codes: [{ a: 1, h: "hash-1", e: now + 5 * MINUTE }],
  doc: '{"status":"pending"}',
  retainUntil: now + 60 * MINUTE,
  prefix: "+62812",
  codeLength: 6,
  ...over,
});
const check = (id: string, hash: string, over: { binding?: string; length?: number; tenant?: string } = {}) =>
  step(checkCode, {
    verificationId: id,
    tenant: over.tenant ?? "bank-a",
    candidateHashes: [hash],
    candidateBinding: over.binding ?? "bind-1",
    candidateLength: over.length ?? 6,
  });
const outcomeOf = (answer: unknown) =>
  (answer as { outcome?: CheckOutcome; kind: string }).outcome ?? (answer as { kind: string }).kind;

export const verificationCases: ParityCase[] = [
  {
    name: "a code checks once: verified, then already used",
    steps: (now) => [
      step(projectVerification, projected("v1", now)),
      check("v1", "hash-1"),
      check("v1", "hash-1"),
      step(readProjection, { verificationId: "v1" }),
    ],
    expect(answers) {
      assert.deepEqual(answers[0], { status: "pending", version: 1 });
      assert.equal(outcomeOf(answers[1]), CheckOutcome.CHECK_OUTCOME_VERIFIED);
      assert.equal((answers[1] as { prefix?: string }).prefix, "+62812");
      assert.equal(outcomeOf(answers[2]), CheckOutcome.CHECK_OUTCOME_ALREADY_USED);
      assert.equal((answers[3] as { status: string }).status, "verified");
    },
  },
  {
    name: "wrong codes count until the lock; a wrong length costs nothing; the binding must match",
    steps: (now) => [
      step(projectVerification, projected("v2", now)),
      check("v2", "nope", { length: 4 }),
      check("v2", "hash-1", { binding: "other" }),
      check("v2", "nope"),
      check("v2", "nope"),
      check("v2", "hash-1"),
    ],
    expect(answers) {
      assert.deepEqual(answers[1], { kind: "wrong-length", expectedLength: 6 });
      assert.equal(outcomeOf(answers[2]), CheckOutcome.CHECK_OUTCOME_BINDING_MISMATCH);
      assert.equal(outcomeOf(answers[3]), CheckOutcome.CHECK_OUTCOME_WRONG_CODE);
      assert.equal((answers[4] as { lockedNow: boolean }).lockedNow, true);
      assert.equal(outcomeOf(answers[5]), CheckOutcome.CHECK_OUTCOME_LOCKED);
    },
  },
  {
    name: "projections merge: status never goes back, codes add up, checks never drop; another tenant is refused",
    steps: (now) => [
      step(projectVerification, projected("v3", now, { status: "delivered", checksUsed: 2 })),
      step(
        projectVerification,
        projected("v3", now, { checksUsed: 1, codes: [{ a: 2, h: "hash-2", e: now + 5 * MINUTE }] }),
      ),
      check("v3", "hash-1"),
      step(projectVerification, projected("v3", now, { tenant: "bank-b" })),
      check("v3", "hash-2", { tenant: "bank-b" }),
    ],
    expect(answers) {
      assert.deepEqual(answers[1], { status: "delivered", version: 2 }, "pending does not replace delivered");
      assert.equal(outcomeOf(answers[2]), CheckOutcome.CHECK_OUTCOME_VERIFIED, "the older code stays valid");
      assert.deepEqual(answers[3], { error: "OTP_INTERNAL" });
    },
  },
  {
    name: "an expired code, a cancelled verification and a missing one",
    steps: (now) => [
      step(
        projectVerification,
        projected("v4", now, { expiresAt: now - 1, codes: [{ a: 1, h: "hash-1", e: now - 1 }] }),
      ),
      check("v4", "hash-1"),
      step(projectVerification, projected("v5", now, { status: "cancelled" })),
      check("v5", "hash-1"),
      check("v6", "hash-1"),
      step(readProjection, { verificationId: "v6" }),
    ],
    expect(answers) {
      assert.equal(outcomeOf(answers[1]), CheckOutcome.CHECK_OUTCOME_EXPIRED);
      assert.equal(outcomeOf(answers[3]), CheckOutcome.CHECK_OUTCOME_CANCELLED);
      assert.deepEqual(answers[4], { kind: "missing" });
      assert.equal(answers[5], undefined);
    },
  },
  {
    name: "a write over a version: written when it is the one stored, a conflict (nothing written) when not",
    steps: (now) => [
      step(projectVerification, projected("v7", now, { expectVersion: 0 })),
      step(projectVerification, projected("v7", now, { status: "delivered", expectVersion: 0 })),
      step(readProjection, { verificationId: "v7" }),
      step(projectVerification, projected("v7", now, { status: "delivered", expectVersion: 1 })),
      step(projectVerification, projected("v7", now, { status: "cancelled" })),
      step(readProjection, { verificationId: "v7" }),
    ],
    expect(answers) {
      assert.deepEqual(answers[0], { status: "pending", version: 1 }, "0: none written yet");
      assert.deepEqual(answers[1], { conflict: true }, "another writer came first");
      assert.equal(
        (answers[2] as { status: string; version: number }).status,
        "pending",
        "the conflict wrote nothing",
      );
      assert.equal((answers[2] as { version: number }).version, 1);
      assert.deepEqual(answers[3], { status: "delivered", version: 2 });
      assert.deepEqual(
        answers[4],
        { status: "cancelled", version: 3 },
        "a write without a version always lands",
      );
      assert.equal((answers[5] as { version: number }).version, 3);
    },
  },
];
