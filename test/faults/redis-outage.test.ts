/**
 * redis-server is away for a minute in the middle of a load (killed, then back EMPTY on the same
 * port). Events arriving meanwhile wait for it instead of using up their attempts: afterwards
 * every accepted verification verifies, none twice, and the dead-letter topics are empty.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startFaultStack, type FaultStack } from "./fault-stack";
import { assertNothingDeadLettered, assertNothingLost } from "./invariants";
import { eventually, RETRYABLE, runLoad, statusOf } from "./load";

const OUTAGE_MS = 60_000;

let stack: FaultStack;
before(async () => {
  stack = await startFaultStack("redis-outage");
});
after(async () => {
  await stack?.close();
});

it(
  "Redis away for 60 s under load: nothing dead-lettered, nothing accepted lost",
  { timeout: 420_000 },
  async (t) => {
    const load = await runLoad(stack, {
      // Starts before, during and after the outage; a client gives up on one after 90 s.
      count: 140,
      perSecond: 2,
      giveUpMs: 90_000,
      during: async () => {
        await sleep(3_000);
        await stack.redis.kill();
        await sleep(OUTAGE_MS);
        await stack.redis.restart();
      },
    });
    t.diagnostic(
      `accepted ${load.accepted.length}, refused ${load.refused}, errors ${JSON.stringify([...load.statuses])}`,
    );
    for (const name of load.statuses.keys()) assert.ok(RETRYABLE.has(name), `start failed with ${name}`);
    await eventually(
      "every accepted verification readable again",
      async () => {
        for (const v of load.accepted)
          if (!(await statusOf(stack, v.verificationId).catch(() => ""))) return false;
        return true;
      },
      90_000,
    );
    await assertNothingLost(stack, load.accepted, { verifyTimeoutMs: 180_000 });
    await assertNothingDeadLettered(stack);
  },
);
