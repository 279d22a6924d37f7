/** Limits and one-shot values: GCRA rate, counter windows, first writer wins, read once, the pumping guard, StartVerification's limits. */
import assert from "node:assert/strict";
import { admitLimits, type LimitsInput } from "@services/issuance/src/limits-script";
import { recordPumpVerified } from "@verification-state/pumping-script";
import { activeKey, idempotencyKey } from "@verification-state/projector";
import { counterWindow, rateLimit, setIfAbsentGet } from "@platform/store/scripts";
import { takeOnce } from "@platform/silent/take-once";
import { takeValue } from "@services/voice/src/call-scripts";
import { claimOverride, overrideRequestName } from "@services/verification/src/override-claim";
import { step, type ParityCase } from "./parity";

const HOUR = 3_600_000;
/** A wait computed from each server's clock: the same to within the time between the two runs. */
const seconds = (ms: number) => Math.round(ms / 1_000);
const rateView = (r: { allowed: boolean; retryAfterMs: number; remaining: number }) => ({
  ...r,
  retryAfterMs: seconds(r.retryAfterMs),
});
const windowView = (r: { allowed: boolean; count: number; retryAfterMs: number }) => ({
  ...r,
  retryAfterMs: seconds(r.retryAfterMs),
});
const limitsView = (r: object) =>
  "retryAfterMs" in r ? { ...r, retryAfterMs: seconds(r.retryAfterMs as number) } : r;
const admit = (input: Partial<LimitsInput>) =>
  step(admitLimits, { tenant: "bank-a", windows: [], ...input }, limitsView);

export const limitCases: ParityCase[] = [
  {
    name: "GCRA: the burst, then a refusal with the wait; a larger cost; per-period limits",
    steps: () => [
      step(rateLimit, { key: "r1", ratePerSec: 1 / 60, burst: 2 }, rateView),
      step(rateLimit, { key: "r1", ratePerSec: 1 / 60, burst: 2 }, rateView),
      step(rateLimit, { key: "r1", ratePerSec: 1 / 60, burst: 2 }, rateView),
      step(rateLimit, { key: "r2", ratePerSec: 1 / 60, burst: 5, cost: 3 }, rateView),
      step(rateLimit, { key: "r2", ratePerSec: 1 / 60, burst: 5, cost: 3 }, rateView),
      step(rateLimit, { key: "r3", limit: 2, periodMs: HOUR, burst: 1 }, rateView),
      step(rateLimit, { key: "r3", limit: 2, periodMs: HOUR, burst: 1 }, rateView),
    ],
    expect(answers) {
      const allowed = answers.map((a) => (a as { allowed: boolean }).allowed);
      assert.deepEqual(allowed, [true, true, false, true, false, true, false]);
      assert.equal((answers[2] as { retryAfterMs: number }).retryAfterMs, 60);
    },
  },
  {
    name: "counter windows: counts up to the limit, refuses past it with the window's rest, costs",
    steps: () => [
      step(counterWindow, { key: "w1", windowMs: HOUR, limit: 2 }, windowView),
      step(counterWindow, { key: "w1", windowMs: HOUR, limit: 2 }, windowView),
      step(counterWindow, { key: "w1", windowMs: HOUR, limit: 2 }, windowView),
      step(counterWindow, { key: "w2", windowMs: HOUR, limit: 5, cost: 4 }, windowView),
      step(counterWindow, { key: "w2", windowMs: HOUR, limit: 5, cost: 2 }, windowView),
    ],
    expect(answers) {
      assert.deepEqual(
        answers.map((a) => (a as { allowed: boolean; count: number }).count),
        [1, 2, 2, 4, 4],
      );
      assert.equal((answers[2] as { retryAfterMs: number }).retryAfterMs, 3_600);
    },
  },
  {
    name: "first writer wins and everyone reads its value; values read exactly once",
    steps: () => [
      step(setIfAbsentGet, { key: "s1", value: "first", ttlMs: HOUR }),
      step(setIfAbsentGet, { key: "s1", value: "second", ttlMs: HOUR }),
      step(takeOnce, { key: "state-1" }),
      step(setIfAbsentGet, { key: "s2", value: "x", ttlMs: HOUR }),
    ],
    expect(answers) {
      assert.deepEqual(answers[0], { created: true, value: "first" });
      assert.deepEqual(answers[1], { created: false, value: "first" });
      assert.equal(answers[2], undefined);
    },
  },
  {
    name: "take: the first caller gets the value, the next nothing",
    steps: (_now, key) => [
      step(setIfAbsentGet, { key: "t1", value: "once", ttlMs: HOUR }),
      // takeValue names its key in full: setIfAbsentGet's, on each store.
      step(takeValue, { key: key("once:{t1}") }),
      step(takeValue, { key: key("once:{t1}") }),
    ],
    expect(answers) {
      assert.deepEqual(answers.slice(1), ["once", null]);
    },
  },
  {
    name: "an override request is claimed once, and never by the agent who asked for it",
    steps: () => {
      const request = JSON.stringify({ verificationId: "v1", agent: "agent:a", reason: "user locked out" });
      return [
        step(setIfAbsentGet, { key: overrideRequestName("o1"), value: request, ttlMs: HOUR }),
        step(claimOverride, { overrideId: "o1", approver: "agent:a" }),
        step(claimOverride, { overrideId: "o1", approver: "agent:b" }),
        step(claimOverride, { overrideId: "o1", approver: "agent:c" }),
      ];
    },
    expect(answers) {
      assert.deepEqual(
        answers.slice(1).map((a) => (a as { kind: string }).kind),
        ["same-agent", "claimed", "missing"],
      );
    },
  },
  {
    name: "the pumping guard counts conversions per prefix window",
    steps: () => [
      step(recordPumpVerified, { tenant: "bank-a", prefix: "+62812", windowIndex: 7, windowMs: HOUR }),
      step(recordPumpVerified, { tenant: "bank-a", prefix: "+62812", windowIndex: 7, windowMs: HOUR }),
      step(recordPumpVerified, { tenant: "bank-a", prefix: "+62813", windowIndex: 7, windowMs: HOUR }),
      // A second's verified codes added up, then a read (adding nothing).
      step(recordPumpVerified, {
        tenant: "bank-a",
        prefix: "+62812",
        windowIndex: 7,
        windowMs: HOUR,
        count: 5,
      }),
      step(recordPumpVerified, {
        tenant: "bank-a",
        prefix: "+62813",
        windowIndex: 7,
        windowMs: HOUR,
        count: 0,
      }),
    ],
    expect: (answers) => assert.deepEqual(answers, [1, 2, 1, 7, 1]),
  },
  {
    name: "StartVerification's limits: admitted, a full window, idempotent and mismatched keys, an active verification",
    steps: () => {
      const idem = (value: string) => ({ key: idempotencyKey("bank-a", "h1"), value, ttlMs: HOUR });
      const active = (value: string) => ({ key: activeKey("bank-a", "p1", "login"), value, ttlMs: HOUR });
      const windows = [{ name: "send|p1", windowMs: HOUR, limit: 1 }];
      const pump = {
        prefix: "+62812",
        windowIndex: 3,
        windowMs: HOUR,
        minSends: 2,
        minConversionPermille: 500,
        blockMs: HOUR,
        shadow: false,
      };
      return [
        admit({
          idempotency: idem("v1|fp-a"),
          active: active("v1"),
          windows,
          pump,
          rate: { ratePerSec: 1, burst: 5 },
        }),
        admit({ idempotency: idem("v1|fp-a"), windows }),
        admit({ idempotency: idem("v2|fp-b"), windows }),
        admit({ active: active("v3"), windows: [] }),
        admit({ active: { ...active("v4"), replacing: "v1" }, windows }),
        admit({ windows: [{ name: "other", windowMs: HOUR, limit: 3 }], pump }),
      ];
    },
    expect(answers) {
      const kinds = answers.map((a) => (a as { kind: string }).kind);
      assert.deepEqual(kinds, [
        "admitted",
        "idempotent",
        "idempotency-mismatch",
        "active",
        "window-limited",
        "admitted",
      ]);
    },
  },
];
