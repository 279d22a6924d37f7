/**
 * redis-server is stopped in the middle of a load and comes back EMPTY on the same port (every
 * projection, guard, claim and timer gone). Starts during the outage fail with a clear status;
 * checks against lost state fail closed; the verification service notices the loss by itself and
 * rebuilds the projection from the Kafka log, after which every accepted verification verifies,
 * none twice.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startFaultStack, type FaultStack } from "./fault-stack";
import { assertNothingDeadLettered, assertNothingLost } from "./invariants";
import { eventually, RETRYABLE, runLoad, statusOf } from "./load";

let stack: FaultStack;
before(async () => {
  stack = await startFaultStack("redis-flush");
});
after(async () => {
  await stack?.close();
});

it("Redis restarted empty mid-load, projection rebuilt from the log by itself: nothing accepted is lost", async (t) => {
  const load = await runLoad(stack, {
    count: 60,
    perSecond: 10,
    during: async () => {
      await sleep(3_000);
      await stack.redis.restart();
    },
  });
  t.diagnostic(
    `accepted ${load.accepted.length}, refused ${load.refused}, errors ${JSON.stringify([...load.statuses])}`,
  );
  for (const name of load.statuses.keys()) assert.ok(RETRYABLE.has(name), `start failed with ${name}`);

  await eventually(
    "the verification service noticed the loss and rebuilt the projection",
    async () => stack.logs.some((l) => l.includes("rebuilding the projection from the log")),
    60_000,
  );
  await eventually(
    "every accepted verification readable again",
    async () => {
      for (const v of load.accepted)
        if (!(await statusOf(stack, v.verificationId).catch(() => ""))) return false;
      return true;
    },
    60_000,
  );
  await assertNothingLost(stack, load.accepted);
  await assertNothingDeadLettered(stack);
});
