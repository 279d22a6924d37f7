/**
 * An operator SMSC misbehaving, end to end: StartVerification → routing → gateway-smpp over a
 * real SMPP wire → the SMSC simulator (driven through its HTTP control API) → receipts →
 * CheckCode, with SMS first in the workflow (WhatsApp, then voice, behind it). One misbehaviour
 * per test, Jasmin's catalogue style: it stops answering (half-open), throttles (0x58), answers
 * queue full (0x14), drops its binds mid-load; receipts come late, before the submit_sm_resp,
 * twice, and on another bind.
 *
 * What the design allows (DESIGN.md, gateway-smpp README) and each test holds to:
 * - every accepted verification ends verified (SMS, or the fallback after it), or, on an SMS-only
 *   workflow whose SMS failed, FAILED: never left pending;
 * - the gateway never submits one (verification, attempt) twice; an outcome nobody knows (no
 *   submit_sm_resp) is reported UNKNOWN and never sent again on its route; routing falls back
 *   at once. Such an SMS may still reach the phone, so the phone may get the code by SMS and by
 *   the fallback: one message per dispatch, never more;
 * - a receipt that comes after the step's timeout is recorded, never resent; ACCEPTED comes
 *   before DELIVERED; repeated receipts make one DELIVERED;
 * - once the SMSC behaves, SMS works again without anyone restarting anything.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Scenario } from "@gateway-smpp/src/simulator/scenario";
import type { SimulatorStats } from "@gateway-smpp/src/simulator/simulator-state";
import { CheckCodeRequest, CheckResult } from "@proto/otp/v1/verification";
import { callUnary } from "@platform/grpc/client";
import { POLICY, startFaultStack, type FaultStack } from "./fault-stack";
import { assertNothingLost } from "./invariants";
import { codeOnHandset, eventually, runLoad, statusOf, type Accepted, type LoadOptions } from "./load";
import {
  allBindsBound,
  assertDeliveredBySmsFirst,
  assertEverySmsDispatchReported,
  assertSmsPromisesKept,
  dispatchCount,
  isDelivered,
  isUnknown,
  smsAttemptsOf,
  smscControl,
  smsReports,
  type SmscControl,
} from "./sms-checks";

const SMS_STEP_SECONDS = 5;

/** SMS first; `sms_only` has nothing behind SMS. Steps short, as in every fault test. */
const SMS_FIRST = {
  default: {
    ...POLICY.default,
    purposes: { sms_only: { riskTier: "medium", workflow: "sms_only" } },
    workflows: {
      default: [
        { channel: "sms", timeoutSeconds: SMS_STEP_SECONDS, advanceWhen: "not_delivered" },
        { channel: "whatsapp", timeoutSeconds: 5, advanceWhen: "not_delivered" },
        { channel: "voice", timeoutSeconds: 30, advanceWhen: "not_verified" },
      ],
      sms_only: [{ channel: "sms", timeoutSeconds: SMS_STEP_SECONDS, advanceWhen: "not_delivered" }],
    },
  },
  tenants: POLICY.tenants,
};

let stack: FaultStack;
let smsc: SmscControl;
before(async () => {
  stack = await startFaultStack("smsc", {
    policy: SMS_FIRST,
    // Every verification probes: SMS stays first however bad its health looks after the test
    // before. Moving traffic off a failing channel is channel-outage.test.ts's subject.
    routing: { routing: { probeShare: 1 } },
    // Scaled like the steps: a silent SMSC is noticed within seconds, not half a minute.
    smscAccount: {
      responseTimeoutMs: 2_000,
      enquireLinkIntervalMs: 1_000,
      notBoundWaitMs: 3_000,
      reconnect: { initialMs: 100, maxMs: 1_000 },
    },
  });
  smsc = smscControl(stack);
});
afterEach(async () => {
  await smsc?.scenario({});
});
after(async () => {
  await stack?.close();
});

const load = (opts: Partial<LoadOptions> = {}) => runLoad(stack, { count: 10, perSecond: 10, ...opts });

/**
 * Nothing lost or sent beyond the design, every SMS dispatch reported; `smsOnly` (verifications
 * that may rightly stay open) get the SMS checks only.
 */
async function assertHeld(accepted: readonly Accepted[], smsOnly: readonly Accepted[] = []): Promise<void> {
  await assertNothingLost(stack, accepted);
  const all = [...accepted, ...smsOnly];
  await assertEverySmsDispatchReported(stack, all);
  assertSmsPromisesKept(stack, all);
}

/** The SMSC behaves again: SMS alone delivers, at the first attempt. */
async function assertRecovered(): Promise<void> {
  await smsc.scenario({});
  await allBindsBound(stack);
  const probe = await load({ count: 5 });
  assert.equal(probe.accepted.length, 5);
  await assertHeld(probe.accepted);
  await assertDeliveredBySmsFirst(stack, probe.accepted);
}

/** The misbehaviour stays until the SMSC has shown it `times` times. */
async function shown(
  counter: "throttled" | "queueFull",
  before: SimulatorStats,
  times: number,
): Promise<void> {
  await eventually(
    `${counter} ${times} times`,
    async () => (await smsc.stats())[counter] - before[counter] >= times,
    20_000,
  );
}

async function misbehaving(scenario: Scenario): Promise<void> {
  await allBindsBound(stack);
  await smsc.scenario(scenario);
}

it("half-open: the binds stay up, nothing on them is answered; UNKNOWN, fallback, new binds by themselves", async (t) => {
  await allBindsBound(stack);
  const before = await smsc.stats();
  assert.ok((await smsc.muteConnections()) >= 2, "both binds go half-open");
  const [fallback, smsOnly] = await Promise.all([load(), load({ count: 3, purpose: "sms_only" })]);
  await assertHeld(fallback.accepted, smsOnly.accepted);
  const all = [...fallback.accepted, ...smsOnly.accepted];
  const unknown = smsReports(stack, all, isUnknown);
  const settled = await settleSmsOnly(smsOnly.accepted);
  t.diagnostic(`UNKNOWN outcomes ${unknown}; SMS-only ${settled.told}`);
  assert.ok(unknown > 0, "submits went into the half-open binds");
  assert.deepEqual(settled.refused, [], "codes that reached the phone were refused");
  // Nothing was changed back: the enquire_link watchdog dropped the dead binds, new ones work.
  await allBindsBound(stack);
  assert.ok((await smsc.stats()).binds >= before.binds + 2, "the gateway bound again");
  await assertRecovered();
});

it("throttled (0x58): submits slow down and retry; nothing sent twice", async (t) => {
  const before = await smsc.stats();
  await misbehaving({ throttlePerSecond: 2 });
  const result = await load({ count: 20 });
  await shown("throttled", before, 5);
  await smsc.scenario({}); // the submits still retrying go through at their next try
  await assertHeld(result.accepted);
  t.diagnostic(`throttled answers ${(await smsc.stats()).throttled - before.throttled}`);
  await assertRecovered();
});

it("queue full (0x14): retried a few times; nothing sent twice", async (t) => {
  const before = await smsc.stats();
  await misbehaving({ queueFull: { every: 2, burst: 1 } });
  const result = await load();
  await shown("queueFull", before, 3);
  await smsc.scenario({}); // the submits still retrying go through at their next try
  await assertHeld(result.accepted);
  t.diagnostic(`queue-full answers ${(await smsc.stats()).queueFull - before.queueFull}`);
  await assertRecovered();
});

it("binds dropped mid-load with submits in flight: UNKNOWN, never resent, fallback at once", async (t) => {
  // Slow answers, so that submits are in flight (accepted, unanswered) when the binds drop.
  await misbehaving({ responseDelayMs: 600 });
  const [fallback, smsOnly] = await Promise.all([
    load({ count: 16, perSecond: 8 }),
    load({ count: 3, purpose: "sms_only" }),
    (async () => {
      for (const unbind of [false, true]) {
        await eventually("submits in flight", async () => (await smsc.stats()).unanswered > 0);
        await smsc.dropConnections(unbind);
      }
    })(),
  ]);
  await assertHeld(fallback.accepted, smsOnly.accepted);
  const all = [...fallback.accepted, ...smsOnly.accepted];
  const unknown = smsReports(stack, all, isUnknown);
  const settled = await settleSmsOnly(smsOnly.accepted);
  t.diagnostic(`UNKNOWN outcomes ${unknown}; SMS-only ${settled.told}`);
  assert.ok(unknown > 0, "the drops caught submits in flight");
  // An SMS whose fate is unknown may still arrive: routing waits instead of failing the
  // verification, so a code that did arrive (the SMSC took it, the drop lost its answer) verifies.
  assert.deepEqual(settled.refused, [], "codes that reached the phone were refused");
  await assertRecovered();
});

it("receipts late, after the step's timeout: the fallback goes, the late receipt is recorded, nothing resent", async () => {
  await misbehaving({ default: { receiptDelayMs: (SMS_STEP_SECONDS + 2) * 1000 } });
  const result = await load();
  // The phones got the SMS at once; they wait with the check until the fallback went out.
  await eventually("the step's timeout sent the fallback", () =>
    result.accepted.every((v) => dispatchCount(stack, v.verificationId) === 2),
  );
  await assertHeld(result.accepted);
  await eventually("every late receipt on the log", () =>
    result.accepted.every((v) => smsAttemptsOf(stack, v.verificationId)[0]?.reports.some(isDelivered)),
  );
  await sleep(500); // what routing would do with them (nothing), done by now
  for (const v of result.accepted)
    assert.equal(
      dispatchCount(stack, v.verificationId),
      2,
      `dispatched after its late receipt: ${v.verificationId}`,
    );
  assertSmsPromisesKept(stack, result.accepted);
  await assertRecovered();
});

it("receipts before the submit_sm_resp: held and matched, delivered by SMS", async () => {
  await misbehaving({ receiptsBeforeResponses: true, responseDelayMs: 300 });
  const result = await load();
  await assertHeld(result.accepted);
  await assertDeliveredBySmsFirst(stack, result.accepted);
  await assertRecovered();
});

it("receipts twice: one DELIVERED per attempt", async () => {
  const before = await smsc.stats();
  const duplicatesBefore = stack.app.gateway.snapshot().gateway.receiptsDuplicate;
  await misbehaving({ receiptCopies: 2, receiptRepeatMs: 100 });
  const result = await load();
  await assertHeld(result.accepted);
  await assertDeliveredBySmsFirst(stack, result.accepted);
  await eventually("every receipt sent twice", async () => {
    const now = await smsc.stats();
    return now.receiptsSent - before.receiptsSent === 2 * (now.accepted - before.accepted);
  });
  await eventually(
    "the gateway dropped the copies",
    () => stack.app.gateway.snapshot().gateway.receiptsDuplicate - duplicatesBefore >= result.accepted.length,
  );
  await sleep(500); // a copy's report, had one got through, would be on the log by now
  assertSmsPromisesKept(stack, result.accepted);
  await assertRecovered();
});

it("receipts on another bind of the account: matched, delivered by SMS", async () => {
  const before = await smsc.stats();
  await misbehaving({ receiptsOnOtherBind: true });
  const result = await load();
  await assertHeld(result.accepted);
  await assertDeliveredBySmsFirst(stack, result.accepted);
  const elsewhere = (await smsc.stats()).receiptsOnOtherSession - before.receiptsOnOtherSession;
  assert.ok(elsewhere >= result.accepted.length, `receipts on the other bind: ${elsewhere}`);
  await assertRecovered();
});

/**
 * Each SMS-only verification settled from the handset: a code that arrived is checked and must
 * verify, an SMS that may still arrive keeps the verification open. Returns what happened, for
 * the diagnostics, and the verifications whose code arrived but was refused.
 */
async function settleSmsOnly(accepted: readonly Accepted[]): Promise<{ told: string; refused: string[] }> {
  const told: string[] = [];
  const refused: string[] = [];
  for (const v of accepted) {
    const code = codeOnHandset(stack, v.phone);
    const answer = code === undefined ? "no code" : await check(v.verificationId, code);
    const status = await statusOf(stack, v.verificationId);
    if (code !== undefined && status !== "VERIFIED") refused.push(v.verificationId);
    told.push(`${answer} → ${status}`);
  }
  return { told: told.join("; "), refused };
}

async function check(verificationId: string, code: string): Promise<string> {
  const answer = await callUnary(
    stack.verification,
    "checkCode",
    CheckCodeRequest.fromPartial({ target: { $case: "verificationId", value: verificationId }, code }),
  );
  return CheckResult[answer.result].replace("CHECK_RESULT_", "");
}
