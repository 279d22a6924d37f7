/**
 * redis-server is stopped in the middle of a load and comes back EMPTY on the same port (every
 * projection, guard, claim and timer gone). Starts during the outage fail with a clear status;
 * checks against lost state fail closed; the projection is rebuilt from the Kafka log with the
 * projector's own rebuild, after which every accepted verification verifies, none twice.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createVerificationProjection } from "../../services/shared/src/projection/projection";
import { createProjector } from "../../services/shared/src/projection/projector";
import { startFaultStack, type FaultStack } from "./fault-stack";
import { assertNothingLost } from "./invariants";
import { eventually, RETRYABLE, runLoad, statusOf } from "./load";

let stack: FaultStack;
before(async () => {
  stack = await startFaultStack("redis-flush");
});
after(async () => {
  await stack?.close();
});

/** The projector the verification service runs, built from the same platform. */
function rebuildingProjector(s: FaultStack) {
  const p = s.platform;
  return createProjector({
    ...p,
    projection: createVerificationProjection({ store: p.store, secrets: p.secrets, retentionMs: 3_600_000 }),
  });
}

test("Redis restarted empty mid-load, projection rebuilt from the log: nothing accepted is lost", async (t) => {
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

  const unreadable = (
    await Promise.all(load.accepted.map((v) => statusOf(stack, v.verificationId).catch(() => "")))
  ).filter((status) => status === "").length;
  t.diagnostic(`unreadable after the flush, before the rebuild: ${unreadable}`);
  assert.ok(unreadable > 0, "the flush lost state (else this test proves nothing)");

  const rebuild = await rebuildingProjector(stack).rebuild();
  try {
    await eventually(
      "every accepted verification readable again",
      async () => {
        for (const v of load.accepted)
          if (!(await statusOf(stack, v.verificationId).catch(() => ""))) return false;
        return true;
      },
      60_000,
    );
  } finally {
    await rebuild.stop();
  }
  await assertNothingLost(stack, load.accepted);
});
