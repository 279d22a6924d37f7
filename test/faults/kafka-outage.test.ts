/**
 * The Kafka broker is away for a minute in the middle of a load (SIGKILLed, then back on the same
 * ports and data). Starts meanwhile answer UNAVAILABLE and are retried by the client with their
 * idempotency key; handlers whose writes fail wait for the broker instead of using up their
 * attempts (ADR 0012). Afterwards every accepted verification verifies, no dispatch is sent twice
 * (counted per dispatch: per verification and attempt), and the dead-letter topics are empty.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startFaultStack, type FaultStack } from "./fault-stack";
import { assertNothingDeadLettered, assertNothingLost } from "./invariants";
import { RETRYABLE, runLoad } from "./load";

const OUTAGE_MS = 60_000;

let stack: FaultStack;
before(async () => {
  stack = await startFaultStack("kafka-outage");
});
after(async () => {
  await stack?.close();
});

it(
  "Kafka away for 60 s under load: nothing dead-lettered, nothing accepted lost or sent twice",
  { timeout: 480_000 },
  async (t) => {
    let outageMs = 0;
    const load = await runLoad(stack, {
      // Starts before, during and after the outage; a client gives up on one after 2 minutes
      // (the broker takes a while to come back on a loaded machine).
      count: 90,
      perSecond: 1.5,
      giveUpMs: 120_000,
      during: async () => {
        await sleep(3_000);
        const killedAt = Date.now();
        await stack.kafka.kill();
        await sleep(OUTAGE_MS);
        await stack.kafka.restart();
        outageMs = Date.now() - killedAt;
      },
    });
    t.diagnostic(
      `broker away ${outageMs} ms; accepted ${load.accepted.length}, refused ${load.refused}, ` +
        `retried after errors ${load.accepted.filter((a) => a.errorsBefore > 0).length}, ` +
        `errors ${JSON.stringify([...load.statuses])}`,
    );
    for (const name of load.statuses.keys()) assert.ok(RETRYABLE.has(name), `start failed with ${name}`);
    assert.ok(
      load.accepted.some((a) => a.errorsBefore > 0),
      "some starts met the outage and were accepted once the broker was back",
    );
    await assertNothingLost(stack, load.accepted, { verifyTimeoutMs: 180_000 });
    await assertNothingDeadLettered(stack);
  },
);
