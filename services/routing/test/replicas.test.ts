/**
 * Routing replicas over a real Kafka broker: two replicas split the partitions and every
 * fallback acts exactly once; a replica killed with SIGKILL while its verifications wait on
 * their fallback timers loses nothing: the survivor takes its partitions over, restores their
 * state from the changelog and fires each timer once.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Partitioners } from "kafkajs";
import { Channel } from "@proto/otp/v1/common";
import { eventually, PARTITIONS, type RoutingHarness, startRoutingHarness } from "./harness";

/** Per verification: how many distinct dispatch events each attempt got. */
function dispatchCounts(h: RoutingHarness, id: string): Map<number, Set<string>> {
  const counts = new Map<number, Set<string>>();
  for (const d of h.dispatchesOf(id))
    counts.set(d.attempt, (counts.get(d.attempt) ?? new Set()).add(d.eventId));
  return counts;
}

function assertEachAttemptOnce(h: RoutingHarness, ids: readonly string[], attempts: number): void {
  for (const id of ids) {
    const counts = dispatchCounts(h, id);
    assert.deepEqual(
      [...counts.keys()].sort(),
      Array.from({ length: attempts }, (_, i) => i + 1),
      id,
    );
    for (const [attempt, events] of counts)
      assert.equal(events.size, 1, `${id} attempt ${attempt} dispatched ${events.size} times`);
    assert.deepEqual(
      h
        .dispatchesOf(id)
        .sort((a, b) => a.attempt - b.attempt)
        .map((d) => d.channel)
        .filter((c, i, all) => all.indexOf(c) === i),
      [Channel.CHANNEL_WHATSAPP, Channel.CHANNEL_SMS, Channel.CHANNEL_VOICE].slice(0, attempts),
    );
  }
}

describe("fallback timers with two routing replicas", () => {
  let h: RoutingHarness;
  before(async () => {
    h = await startRoutingHarness("replicas");
  });
  after(async () => {
    await h.close();
  });

  it("each partition has one owner and every timer acts exactly once", async () => {
    const a = await h.startService();
    const b = await h.startService();
    await h.ready();
    await eventually(
      () => a.states.owned().length > 0 && b.states.owned().length > 0,
      "both replicas own partitions",
    );
    const owned = [...a.states.owned(), ...b.states.owned()].sort();
    assert.deepEqual(
      owned,
      Array.from({ length: PARTITIONS }, (_, p) => p),
      "every partition, each once",
    );
    const ids = await Promise.all(Array.from({ length: 20 }, () => h.issue()));
    // Nobody answers: WhatsApp (2 s) → SMS (2 s) → voice, three attempts each.
    await eventually(
      () => ids.every((id) => dispatchCounts(h, id).size === 3),
      "three attempts each",
      30_000,
    );
    await sleep(3_000); // time for a duplicate to show up, if there were one
    assertEachAttemptOnce(h, ids, 3);
  });
});

describe("fallback timers survive a replica killed with SIGKILL", () => {
  const rig = replicaRig("kill");

  it("the survivor takes the killed replica's partitions over and fires their timers once", async () => {
    const h = rig.harness();
    const doomed = rig.start("doomed", {});
    await eventually(() => doomed.output.includes("ready"), "first replica ready", 60_000);
    const survivor = rig.start("survivor", {});
    await eventually(
      () => survivor.output.includes("ready") && servingNow(survivor.output).length > 0,
      "second replica serving",
      60_000,
    );
    await h.ready();
    const doomedPartitions = servingNow(doomed.output);
    assert.ok(doomedPartitions.length > 0, "the doomed replica serves partitions");

    const ids = await Promise.all(Array.from({ length: 12 }, () => h.issue()));
    const held = ids.filter((id) => doomedPartitions.includes(partitionOf(id, PARTITIONS)));
    assert.ok(held.length > 0, "the doomed replica holds live verifications");
    await eventually(() => ids.every((id) => dispatchCounts(h, id).size >= 1), "first attempts");
    doomed.child.kill("SIGKILL");
    const killedAt = Date.now();
    await once(doomed.child, "exit");

    await eventually(
      () => doomedPartitions.every((p) => servingNow(survivor.output).includes(p)),
      "the survivor serves the killed replica's partitions",
      30_000,
    );
    process.stdout.write(`# takeover after SIGKILL: ${Date.now() - killedAt} ms\n`);
    await eventually(
      () => ids.every((id) => dispatchCounts(h, id).size === 3),
      "three attempts each",
      60_000,
    );
    await sleep(3_000);
    assertEachAttemptOnce(h, ids, 3);
    survivor.child.kill("SIGTERM");
    await once(survivor.child, "exit");
  });
});

describe("an owner SIGKILLed inside a transaction", () => {
  const rig = replicaRig("kill-in-commit");

  it("its half-written decisions stay invisible and the survivor makes each once", async () => {
    const h = rig.harness();
    const doomed = rig.start("doomed", { ROUTING_KILL_IN_COMMIT: "6" });
    await eventually(() => doomed.output.includes("ready"), "first replica ready", 60_000);
    const survivor = rig.start("survivor", {});
    await eventually(
      () => survivor.output.includes("ready") && servingNow(survivor.output).length > 0,
      "second replica serving",
      60_000,
    );
    await h.ready();
    const ids = await Promise.all(Array.from({ length: 12 }, () => h.issue()));
    const [, signal] = (await once(doomed.child, "exit")) as [number | null, NodeJS.Signals | null];
    assert.equal(signal, "SIGKILL");
    assert.ok(
      doomed.output.some((line) => line.startsWith("dying in a commit")),
      "it died inside a transaction",
    );
    await eventually(
      () => ids.every((id) => dispatchCounts(h, id).size === 3),
      "three attempts each",
      60_000,
    );
    await sleep(3_000);
    assertEachAttemptOnce(h, ids, 3);
    survivor.child.kill("SIGTERM");
    await once(survivor.child, "exit");
  });
});

/**
 * A harness of its own for a describe block, and routing replicas in their own processes
 * (fixtures/replica.ts) with what they print; the replicas still running are killed after.
 */
function replicaRig(name: string) {
  let h: RoutingHarness | undefined;
  const children: ChildProcess[] = [];
  before(async () => {
    h = await startRoutingHarness(name);
  });
  after(async () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await h?.close();
  });
  const harness = (): RoutingHarness => {
    if (!h) throw new Error("the harness starts before the tests");
    return h;
  };
  return {
    harness,
    start(replicaName: string, env: Record<string, string>): { child: ChildProcess; output: string[] } {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", path.join(__dirname, "fixtures", "replica.ts")],
        {
          env: { ...process.env, ROUTING_TEST_PREFIX: harness().prefix, ...env },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      children.push(child);
      const output: string[] = [];
      child.stdout?.on("data", (chunk: Buffer) =>
        output.push(...chunk.toString().split("\n").filter(Boolean)),
      );
      child.stderr?.on("data", (chunk: Buffer) =>
        process.stderr.write(`[${replicaName}] ${chunk.toString()}`),
      );
      return { child, output };
    },
  };
}

/** The partitions a replica's output says it serves now. */
function servingNow(output: readonly string[]): number[] {
  const serving = new Set<number>();
  for (const line of output) {
    const [word, partition] = line.split(" ");
    if (word === "serving") serving.add(Number(partition));
    if (word === "released") serving.delete(Number(partition));
  }
  return [...serving].sort();
}

/** The partition Kafka's default partitioner gives a key. */
function partitionOf(key: string, partitions: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  return partitioner({
    topic: "t",
    partitionMetadata: Array.from({ length: partitions }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
      partitionErrorCode: 0,
      offlineReplicas: [],
    })),
    message: { key, value: null },
  });
}
