/**
 * Durable timers shared by replicas, over real Kafka and Redis: with two routing replicas every
 * fallback acts exactly once, and a replica killed with SIGKILL right after claiming timers
 * (before firing them) loses nothing: the other replica fires them when the lease runs out.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Channel } from "../../../proto/gen/otp/v1/common";
import { eventually, type RoutingHarness, startRoutingHarness } from "./harness";

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

  test("every timer acts exactly once while two replicas poll the same timers", async () => {
    const claims = { a: 0, b: 0 };
    await h.startService({ afterTimerClaim: (ids) => void (claims.a += ids.length) });
    await h.startService({ afterTimerClaim: (ids) => void (claims.b += ids.length) });
    await h.ready();
    const ids = await Promise.all(Array.from({ length: 20 }, () => h.issue()));
    // Nobody answers: WhatsApp (2 s) → SMS (2 s) → voice, three attempts each.
    await eventually(
      () => ids.every((id) => dispatchCounts(h, id).size === 3),
      "three attempts each",
      30_000,
    );
    await sleep(3_000); // time for a duplicate to show up, if there were one
    assertEachAttemptOnce(h, ids, 3);
    assert.ok(claims.a + claims.b >= 40, `claims ${JSON.stringify(claims)}`);
  });
});

describe("fallback timers survive a replica killed with SIGKILL", () => {
  let h: RoutingHarness;
  const children: ChildProcess[] = [];
  before(async () => {
    h = await startRoutingHarness("kill");
  });
  after(async () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await h.close();
  });

  function replica(name: string, env: Record<string, string>): { child: ChildProcess; output: string[] } {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(__dirname, "fixtures", "replica.ts")],
      {
        env: { ...process.env, ROUTING_TEST_PREFIX: h.prefix, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    children.push(child);
    const output: string[] = [];
    const collect = (chunk: Buffer) => output.push(...chunk.toString().split("\n").filter(Boolean));
    child.stdout?.on("data", collect);
    child.stderr?.on("data", (chunk: Buffer) => process.stderr.write(`[${name}] ${chunk.toString()}`));
    return { child, output };
  }

  test("timers claimed by the killed replica fire on the other one, once", async () => {
    // The doomed replica polls fast so it claims first; the survivor polls slowly.
    const doomed = replica("doomed", { ROUTING_CRASH_ON_CLAIM: "1", ROUTING_POLL_MS: "5" });
    const survivor = replica("survivor", { ROUTING_POLL_MS: "100" });
    await eventually(
      () => doomed.output.includes("ready") && survivor.output.includes("ready"),
      "replicas ready",
      60_000,
    );
    await h.ready();

    const ids = await Promise.all(Array.from({ length: 10 }, () => h.issue()));
    await eventually(() => ids.every((id) => dispatchCounts(h, id).size >= 1), "first attempts");
    const [, signal] = (await once(doomed.child, "exit")) as [number | null, NodeJS.Signals | null];
    assert.equal(signal, "SIGKILL");
    const claimed =
      doomed.output
        .find((line) => line.startsWith("claimed "))
        ?.split(" ")
        .slice(1) ?? [];
    assert.ok(claimed.length > 0, "the killed replica held timers");

    await eventually(
      () => ids.every((id) => dispatchCounts(h, id).size === 3),
      "three attempts each",
      60_000,
    );
    await sleep(3_000);
    assertEachAttemptOnce(h, ids, 3);
    for (const timerId of claimed) {
      const [verificationId = "", , attempt] = timerId.split("|");
      const next = Number(attempt) + 1;
      assert.equal(
        dispatchCounts(h, verificationId).get(next)?.size,
        1,
        `${timerId} fired once after the kill`,
      );
    }
    survivor.child.kill("SIGTERM");
    await once(survivor.child, "exit");
  });
});
