/**
 * The Kafka broker is killed with SIGKILL (a power cut) in the middle of a load and comes back
 * on the same ports and data. Starts during the outage fail with a clear status and are retried
 * by the client with their idempotency key; every start that was accepted is delivered and
 * verifies once the broker is back, without anyone restarting the services.
 *
 * On a loaded machine the broker takes longer to come back than kafkajs keeps retrying, and two
 * faults of kafkajs 2.2.4 showed through (accepted verifications never dispatched, checks
 * answered UNAVAILABLE, a test process that never exited). The tests after the first make each
 * happen on purpose, on the same broker:
 * - a produce request left in doubt (sent, never answered) has its sequence numbers taken back by
 *   kafkajs, so the next write to the partition is silently dropped by the broker as a duplicate
 *   or refused as out of order, for ever: the bus retires a producer after a failed write;
 * - kafkajs restarts a crashed consumer even after it was stopped, when the stop came during a
 *   restart: the bus tells kafkajs not to restart a stopped subscription's consumer.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { after, before, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startFaultStack, type FaultStack } from "./fault-stack";
import { assertNothingDeadLettered, assertNothingLost } from "./invariants";
import { namedEvent, namesOnTopic, probeBus } from "./kafka-client";
import { eventually, RETRYABLE, runLoad } from "./load";

/** Whether every thread of a process is stopped (state T in /proc). */
const standsStill = (pid: number): boolean =>
  readdirSync(`/proc/${pid}/task`).every(
    (tid) => /\) (\S)/.exec(readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8"))?.[1] === "T",
  );

let stack: FaultStack;
before(async () => {
  stack = await startFaultStack("kafka-kill");
});
after(async () => {
  await stack?.close();
});

// On a loaded machine the broker alone takes 30 s and more to come back: the waits are long,
// and they end as soon as the condition holds.
it(
  "Kafka broker SIGKILLed and restarted mid-load: nothing accepted is lost or sent twice",
  { timeout: 300_000 },
  async (t) => {
    let outageMs = 0;
    const load = await runLoad(stack, {
      count: 60,
      perSecond: 10,
      during: async () => {
        await sleep(2_000);
        const killedAt = Date.now();
        await stack.kafka.kill();
        await sleep(3_000);
        await stack.kafka.restart();
        outageMs = Date.now() - killedAt;
      },
    });
    t.diagnostic(
      `broker away ${outageMs} ms; accepted ${load.accepted.length}, refused ${load.refused}, ` +
        `retried after errors ${load.accepted.filter((a) => a.errorsBefore > 0).length}, ` +
        `errors ${JSON.stringify([...load.statuses])}`,
    );
    // A start that fails gets a retryable status, never a crash or INTERNAL with a stack trace.
    for (const name of load.statuses.keys()) assert.ok(RETRYABLE.has(name), `start failed with ${name}`);
    await assertNothingLost(stack, load.accepted, { verifyTimeoutMs: 180_000 });
    await assertNothingDeadLettered(stack);

    // Recovered by itself: new starts go through at the first try and verify.
    const afterwards = await runLoad(stack, { count: 10, perSecond: 10 });
    assert.deepEqual(
      afterwards.accepted.map((a) => a.errorsBefore),
      Array<number>(10).fill(0),
      `after the outage: ${JSON.stringify([...afterwards.statuses])}`,
    );
    await assertNothingLost(stack, afterwards.accepted);
  },
);

it("a write left in doubt by a stalled broker does not spoil the writes after it", async () => {
  // Short request timeout and few retries: the broker need only stand still for seconds.
  const probe = await probeBus(stack, "in-doubt", {
    requestTimeout: 1_000,
    retry: { retries: 2, initialRetryTime: 100 },
  });
  try {
    await probe.bus.publish(probe.topic, namedEvent("before"));
    const pid = stack.kafka.pid;
    assert.ok(pid, "the broker runs");
    // The request reaches the stopped broker's socket, kafkajs gives up on it, and the broker
    // appends it once it runs again: written, but the writer was told it failed.
    process.kill(pid, "SIGSTOP");
    let inDoubt: string;
    try {
      await eventually("the broker stands still", () => standsStill(pid), 5_000);
      inDoubt = await probe.bus.publish(probe.topic, namedEvent("in-doubt")).then(
        () => "written",
        () => "failed",
      );
    } finally {
      process.kill(pid, "SIGCONT");
    }
    assert.equal(inDoubt, "failed", "the write timed out while the broker stood still");

    // Two messages where the write in doubt had one: kafkajs would reuse its sequence numbers,
    // and the broker refuse this batch as out of order (and every batch after it).
    await probe.bus.publishBatch(
      ["after-a", "after-b"].map((name) => ({ topic: probe.topic, envelope: namedEvent(name) })),
    );
    // One message, as many as the write in doubt had: the broker would take it for a retry of
    // that one, acknowledge it, and not write it.
    await probe.bus.publish(probe.topic, namedEvent("after-c"));
    const names = await namesOnTopic(probe, ["before", "after-a", "after-b", "after-c"]);
    assert.deepEqual(
      names.filter((n) => n !== "in-doubt"),
      ["before", "after-a", "after-b", "after-c"],
      "every acknowledged write is on the log, in order",
    );
    assert.ok(
      probe.lines.some((l) => l.text.includes("new producer")),
      "the failed write retired its producer",
    );
  } finally {
    await probe.bus.close();
  }
});

it("a subscription stopped while kafkajs restarts its consumer stays stopped", async () => {
  // Short retry steps (100 ms, doubling): a start against a dead broker gives up in about 3 s.
  const probe = await probeBus(stack, "stopped", { retry: { initialRetryTime: 100 } });
  try {
    const subscription = await probe.bus.subscribe({
      groupId: `${stack.env.OTP_TOPIC_PREFIX}stopped`,
      topics: [probe.topic],
      handler: async () => undefined,
    });
    await subscription.ready;
    // The broker goes for good (the stack is closed with it down).
    await stack.kafka.kill();
    const restarting = (since: number) =>
      probe.lines.filter((l) => l.at > since && l.text.includes("Restarting the consumer"));
    await eventually("kafkajs restarts the crashed consumer", () => restarting(0).length > 0, 90_000);
    // Stop once the restart is under way (connecting to the dead broker, with retries), not
    // while it is only scheduled: a stop clears a scheduled restart, kafkajs gets that right.
    const delayMs = Number(/in (\d+)ms/.exec(restarting(0)[0]?.text ?? "")?.[1] ?? 0);
    await sleep(delayMs + 500);
    const stoppedAt = Date.now();
    await subscription.stop();
    // The restart under way fails in its turn; kafkajs then decides whether to go again.
    await eventually(
      "the restart under way gives up",
      () => probe.lines.some((l) => l.at > stoppedAt && l.text.includes("Crash")),
      60_000,
    );
    await sleep(1_000);
    assert.deepEqual(
      restarting(stoppedAt).map((l) => l.text),
      [],
      "no restart after stop()",
    );
  } finally {
    await probe.bus.close();
  }
});
