/**
 * The Kafka broker is killed with SIGKILL (a power cut) in the middle of a load and comes back
 * on the same ports and data. Starts during the outage fail with a clear status and are retried
 * by the client with their idempotency key; every start that was accepted is delivered and
 * verifies once the broker is back, without anyone restarting the services.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startFaultStack, type FaultStack } from "./fault-stack";
import { assertNothingLost } from "./invariants";
import { runLoad } from "./load";

let stack: FaultStack;
before(async () => {
  stack = await startFaultStack("kafka-kill");
});
after(async () => {
  await stack?.close();
});

test("Kafka broker SIGKILLed and restarted mid-load: nothing accepted is lost or sent twice", async (t) => {
  const load = await runLoad(stack, {
    count: 60,
    perSecond: 10,
    during: async () => {
      await sleep(2_000);
      await stack.kafka.kill();
      await sleep(3_000);
      await stack.kafka.restart();
    },
  });
  t.diagnostic(
    `accepted ${load.accepted.length}, refused ${load.refused}, ` +
      `retried after errors ${load.accepted.filter((a) => a.errorsBefore > 0).length}, ` +
      `errors ${JSON.stringify([...load.statuses])}`,
  );
  // A start that fails gets a retryable status, never a crash or INTERNAL with a stack trace.
  for (const name of load.statuses.keys())
    assert.ok(
      ["UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED"].includes(name),
      `start failed with ${name}`,
    );
  await assertNothingLost(stack, load.accepted);
});
