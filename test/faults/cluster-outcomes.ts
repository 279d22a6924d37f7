/**
 * What the failover tests assert once a fault is over: every lifecycle ended as designed, the
 * guards a failover could take back still hold, and the log shows each verification started,
 * sent once, verified, with no code in the services' logs.
 */
import assert from "node:assert/strict";
import { CheckResult, checkUntilAnswered, startRefused, wrongCode, type Guards } from "./cluster-probes";
import type { ClusterStack } from "./cluster-stack";
import { assertNoCodeInLogs, assertNoDuplicateSends, assertStartedOnLog, warningsAbout } from "./invariants";
import type { LifecycleLoad } from "./lifecycle-load";
import { eventually, statusOf, type Accepted } from "./load";

export async function assertGuardsHeld(stack: ClusterStack, guards: Guards): Promise<void> {
  for (const phone of guards.limitedPhones)
    assert.ok(await startRefused(stack, phone), "a full start window is still full after the failover");
  for (const v of guards.nearlyLocked) {
    await checkUntilAnswered(stack, v.verificationId, wrongCode(v.code));
    assert.equal(
      await checkUntilAnswered(stack, v.verificationId, v.code),
      CheckResult.CHECK_RESULT_LOCKED,
      "failed checks counted before the failover still count",
    );
  }
}

export async function assertLogInvariants(stack: ClusterStack, load: LifecycleLoad): Promise<void> {
  const accepted: Accepted[] = load.users.map((u) => ({
    verificationId: u.verificationId!,
    phone: u.phone,
    errorsBefore: 0,
  }));
  await eventually(
    "every outcome captured",
    () =>
      accepted.every((v) => stack.eventsOf(v.verificationId).some((e) => e.event?.$case === "codeChecked")),
    60_000,
  );
  assertStartedOnLog(stack, accepted);
  assertNoDuplicateSends(stack, accepted);
  assertNoCodeInLogs(stack, accepted);
  for (const v of accepted)
    assert.equal(await statusOf(stack, v.verificationId), "VERIFIED", v.verificationId);
}

/**
 * Every accepted start verified, or its code spent while the check's answer was lost (a replica
 * slow to confirm on a loaded machine does that too: fail closed, as designed).
 */
export function assertEndedAsDesigned(stack: ClusterStack, load: LifecycleLoad): void {
  const wrong = load.users.filter((u) => u.end !== "verified" && u.end !== "consumed-unanswered");
  assert.deepEqual(
    wrong.map((u) => `${u.verificationId ?? "(not started)"}: ${u.end} ${u.answer ?? ""}`),
    [],
    `lifecycles ${JSON.stringify(ends(load))}; the services' last warnings about the store:\n` +
      warningsAbout(stack, /\b(store|redis|replicas?|NOREPLICAS|check)\b/i, 30).join("\n"),
  );
  assert.ok((ends(load).verified ?? 0) > 0, "some lifecycles verified");
}

export function ends(load: LifecycleLoad): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const u of load.users) counts[u.end] = (counts[u.end] ?? 0) + 1;
  return counts;
}
