/**
 * The platform on a three-broker Kafka cluster (replication 3, min ISR 2, acks=all) and a Redis
 * Cluster of three masters with a replica each, through the ioredis Cluster client: first whole
 * lifecycles with nothing failing, then, with lifecycles running, (a) the Kafka broker leading
 * the busiest partitions of the verifications topic SIGKILLed, (b) the Redis master holding the
 * tenant's limits SIGKILLed and its replica taking over, (c) both at once; each killed node is
 * started again 8 s later, as an orchestrator would, and rejoins as a follower / replica.
 *
 * Asserted per verification, on counts: every accepted start verifies (or, where a check's
 * answer was lost to the fault, its code is spent: fail closed), no dispatch twice, concurrent
 * correct checks across the failover give one success at most, a full start window stays full
 * and failed checks stay counted. What the failover cost clients (how long they saw errors, how
 * many, with RetryInfo or not) is printed, never asserted: the machine is shared.
 *
 * The last test makes Redis lose an acknowledged write on purpose (the replica stands still
 * while the master takes a check, then the master dies): the check is not answered as a
 * success, so the code it consumed, made good again by the failover, gives one success at most.
 */
import assert from "node:assert/strict";
import os from "node:os";
import { after, before, describe, it, type TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { DEFAULT_POLICY } from "@domain/policy";
import { type ClusterStack, startClusterStack } from "./cluster-stack";
import {
  busiestLeader,
  check,
  CheckResult,
  checkUntilAnswered,
  delivered,
  dropReplicaLinks,
  kafkaFullyReplicated,
  limitsSlot,
  projectionSlot,
  setGuards,
  shardOf,
  type Delivered,
} from "./cluster-probes";
import { POLICY } from "./fault-stack";
import { warningsAbout } from "./invariants";
import { failoverCost, runLifecycles, type ClientError } from "./lifecycle-load";
import { assertEndedAsDesigned, assertGuardsHeld, assertLogInvariants, ends } from "./cluster-outcomes";
import { eventually, statusOf } from "./load";

// Two starts per phone per 10 minutes: the probes fill a window with two and expect a refusal.
const CLUSTER_POLICY = {
  ...POLICY,
  default: {
    ...POLICY.default,
    limits: { ...POLICY.default.limits, perPhone: { sendsPerHour: 50, startsPer10Minutes: 2 } },
  },
};
const MAX_CHECKS = DEFAULT_POLICY.purposes["login"]?.maxChecks ?? 5;
/** How long a killed node stays down before it is started again. */
const DOWN_MS = 8_000;

let stack: ClusterStack;

// Part of the fault suite (`npm test`, `npm run test:faults`, CI); OTP_CLUSTER_TESTS=0 leaves it
// out. Three JVMs, six redis-servers and the platform share two cores with it: on a machine that
// is busier still (a load average above 4 per core) it stands aside and says why, since a stall
// there is the machine's, not the failover's; OTP_CLUSTER_TESTS=force runs it anyway.
const BUSY_LOAD_PER_CORE = 4;
const load = os.loadavg()[0] ?? 0;
const busy = load > BUSY_LOAD_PER_CORE * os.availableParallelism();
const asked = process.env.OTP_CLUSTER_TESTS;
const skip =
  asked === "0"
    ? "OTP_CLUSTER_TESTS=0 leaves it out"
    : asked !== "force" && busy
      ? `the machine is too busy for it (load average ${load.toFixed(1)}); OTP_CLUSTER_TESTS=force runs it anyway`
      : false;

describe("failover on a three-broker Kafka and a Redis Cluster with replicas", { skip }, () => {
  // Three JVMs and six redis-servers start slowly on a loaded two-core machine.
  before(
    async () => {
      stack = await startClusterStack("cluster", { policy: CLUSTER_POLICY });
    },
    { timeout: 600_000 },
  );
  after(async () => {
    await stack?.close();
  });

  it(
    "whole lifecycles on the clusters: replicated topics, keys on every master, single use",
    { timeout: 600_000 },
    async () => {
      const topic = stack.platform.topics.verifications;
      const { replicas, minIsr } = await stack.kafkaCluster.withAdmin(async (admin) => {
        const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
        const configs = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: 2, name: topic, configNames: ["min.insync.replicas"] }],
        });
        return {
          replicas: new Set(metadata.topics[0]?.partitions.map((p) => p.replicas.length)),
          minIsr: configs.resources[0]?.configEntries[0]?.configValue,
        };
      });
      assert.deepEqual([...replicas], [3], "every partition has three replicas");
      assert.equal(minIsr, "2");

      const load = await runLifecycles(stack, { count: 30, perSecond: 10 });
      assertEndedAsDesigned(stack, load);
      const masters = new Set(
        await Promise.all(
          load.users.map(
            async (u) => (await shardOf(stack, projectionSlot(stack, u.verificationId!))).master,
          ),
        ),
      );
      assert.equal(masters.size, 3, "the verifications' hot state is spread over the three masters");

      const [v] = await delivered(stack, 1);
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => check(stack, v!.verificationId, v!.code)),
      );
      assert.equal(answers.filter((a) => a.result === CheckResult.CHECK_RESULT_VERIFIED).length, 1);
    },
  );

  it(
    "(a) the Kafka leader of the busiest partitions SIGKILLed under load",
    { timeout: 600_000 },
    async (t) => {
      await failoverUnderLoad(t, {
        onVictimShard: async () => true,
        kill: async () => {
          const { broker, partitions } = await busiestLeader(stack);
          await stack.kafkaCluster.node(broker).kill();
          return {
            what: `Kafka broker ${broker} (leader of partitions ${partitions.join(",")})`,
            restore: () => stack.kafkaCluster.node(broker).restart(),
          };
        },
      });
    },
  );

  it(
    "(b) the Redis master of the tenant's limits SIGKILLed, its replica takes over",
    { timeout: 600_000 },
    async (t) => {
      const victim = await shardOf(stack, limitsSlot(stack));
      await failoverUnderLoad(t, {
        onVictimShard: async (v) =>
          (await shardOf(stack, projectionSlot(stack, v.verificationId))).master === victim.master,
        kill: () => killRedisMaster(victim.master),
      });
    },
  );

  it("(c) the Kafka leader and the Redis master SIGKILLed at once", { timeout: 600_000 }, async (t) => {
    const victim = await shardOf(stack, limitsSlot(stack));
    await failoverUnderLoad(t, {
      onVictimShard: async (v) =>
        (await shardOf(stack, projectionSlot(stack, v.verificationId))).master === victim.master,
      kill: async () => {
        const { broker } = await busiestLeader(stack);
        const [redis] = await Promise.all([
          killRedisMaster(victim.master),
          stack.kafkaCluster.node(broker).kill(),
        ]);
        return {
          what: `Kafka broker ${broker} and ${redis.what}`,
          restore: async () => {
            await Promise.all([redis.restore(), stack.kafkaCluster.node(broker).restart()]);
          },
        };
      },
    });
  });

  it(
    "a check Redis acknowledged but never replicated is not a success: one success at most after the failover",
    { timeout: 600_000 },
    async (t) => {
      const [v] = await delivered(stack, 1);
      const shard = await shardOf(stack, projectionSlot(stack, v!.verificationId));
      const replica = stack.redisCluster.node(shard.replicas[0] ?? assert.fail("the shard has no replica"));
      const replicaPid = replica.pid ?? assert.fail("the replica runs");
      // The replica stands still: the master applies the check, the replica never gets it.
      process.kill(replicaPid, "SIGSTOP");
      let first: string;
      try {
        first = await check(stack, v!.verificationId, v!.code).then(
          (answer) => CheckResult[answer.result],
          () => "error",
        );
      } finally {
        // The master dies with the only copy of the consumed code; the replica is promoted.
        await stack.redisCluster.node(shard.master).kill();
        process.kill(replicaPid, "SIGCONT");
      }
      assert.equal(first, "error", "a check the replica does not have is not answered");
      await eventually(
        "the replica promoted",
        async () =>
          (await shardOf(stack, projectionSlot(stack, v!.verificationId)).catch(() => undefined))?.master ===
          replica.port,
        60_000,
      );
      // Until a replica is back the shard's checks fail closed: the old master rejoins as one.
      await stack.redisCluster.node(shard.master).restart();
      await stack.redisCluster.waitHealthy();
      const second = await checkUntilAnswered(stack, v!.verificationId, v!.code);
      t.diagnostic(
        `first check: fail closed; after the failover: ${second === "gave up" ? second : CheckResult[second]} ` +
          "(VERIFIED: the failover lost the consumed code, and this is the only success)",
      );
      assert.ok(
        second === CheckResult.CHECK_RESULT_VERIFIED || second === CheckResult.CHECK_RESULT_ALREADY_USED,
        `after the failover: ${String(second)}`,
      );
    },
  );

  it(
    "a start Redis acknowledged but never replicated comes back from the projector's memory: its code verifies",
    { timeout: 600_000 },
    async (t) => {
      // Every replica stands still, cut off from its master: what the masters take now (and
      // what their replication links had not yet sent), no replica has.
      const shards = await stack.redisCluster.shards();
      const pids = shards
        .flatMap((s) => s.replicas)
        .map((port) => stack.redisCluster.node(port).pid ?? assert.fail("a replica runs"));
      for (const pid of pids) process.kill(pid, "SIGSTOP");
      let v: Delivered | undefined;
      let shard: { master: number; replicas: number[] } | undefined;
      try {
        await Promise.all(shards.map((s) => dropReplicaLinks(s.master)));
        [v] = await delivered(stack, 1);
        // The projector has folded the verification up to its delivery, and remembers it.
        await eventually(
          "the delivery projected",
          async () => (await statusOf(stack, v!.verificationId)) === "DELIVERED",
          30_000,
        );
        shard = await shardOf(stack, projectionSlot(stack, v!.verificationId));
        // The master dies with the only copy of the verification's state.
        await stack.redisCluster.node(shard.master).kill();
      } finally {
        for (const pid of pids) process.kill(pid, "SIGCONT");
      }
      const lost = v ?? assert.fail("a verification delivered");
      const promoted = shard.replicas[0] ?? assert.fail("the shard has a replica");
      await eventually(
        "the replica promoted",
        async () =>
          (await shardOf(stack, projectionSlot(stack, lost.verificationId)).catch(() => undefined))
            ?.master === promoted,
        60_000,
      );
      await stack.redisCluster.node(shard.master).restart();
      await stack.redisCluster.waitHealthy();
      const answer = await checkUntilAnswered(stack, lost.verificationId, lost.code);
      const restored = warningsAbout(stack, /verification state missing from the store/);
      t.diagnostic(
        `check after the failover: ${String(answer === "gave up" ? answer : CheckResult[answer])}; ${restored.length} state(s) written again`,
      );
      assert.equal(
        answer,
        CheckResult.CHECK_RESULT_VERIFIED,
        "the user's code verifies (not REJECTED for a state the failover lost)",
      );
      assert.ok(
        restored.some((l) => l.includes(lost.verificationId)),
        "written again from memory, and logged",
      );
    },
  );
});

interface Killed {
  what: string;
  restore(): Promise<void>;
}

async function killRedisMaster(port: number): Promise<Killed> {
  await stack.redisCluster.node(port).kill();
  return {
    what: `Redis master ${port}`,
    restore: async () => {
      await stack.redisCluster.node(port).restart();
    },
  };
}

interface Fault {
  kill(): Promise<Killed>;
  /** Verifications whose state the fault hits (their concurrent checks race the failover). */
  onVictimShard(v: Delivered): Promise<boolean>;
}

async function failoverUnderLoad(t: TestContext, fault: Fault): Promise<void> {
  const guards = await setGuards(stack, MAX_CHECKS);
  const candidates = await delivered(stack, 12);
  const racers = (
    await Promise.all(candidates.map(async (v) => ((await fault.onVictimShard(v)) ? v : undefined)))
  ).filter((v): v is Delivered => v !== undefined);
  assert.ok(racers.length > 0, "verifications whose state the fault hits");

  let faultAt = 0;
  let killed: Killed | undefined;
  let recoveredAfterMs = 0;
  const raceErrors: ClientError[] = [];
  let races: Promise<Array<Array<CheckResult | "gave up">>> = Promise.resolve([]);
  const load = await runLifecycles(stack, {
    count: 60,
    perSecond: 5,
    during: async () => {
      await sleep(3_000);
      faultAt = Date.now();
      // Five correct checks of each racer at once, as the node dies, each retried to an answer.
      races = Promise.all(
        racers
          .slice(0, 4)
          .map((v) =>
            Promise.all(
              Array.from({ length: 5 }, () =>
                checkUntilAnswered(stack, v.verificationId, v.code, raceErrors),
              ),
            ),
          ),
      );
      killed = await fault.kill();
      await sleep(DOWN_MS);
      const restoring = Date.now();
      await killed.restore();
      recoveredAfterMs = Date.now() - restoring;
    },
  });
  const raced = await races;
  const cost = failoverCost([...load.errors, ...raceErrors], faultAt);
  t.diagnostic(
    `killed ${killed?.what}; down ${DOWN_MS} ms, rejoined in ${recoveredAfterMs} ms after its restart`,
  );
  t.diagnostic(
    `clients saw errors for ${cost.errorsForMs} ms after the kill: ${cost.errors} errors ` +
      `(${cost.withRetryInfo} with RetryInfo) ${JSON.stringify(cost.byStatus)}; lifecycles ${JSON.stringify(ends(load))}`,
  );

  // Single use across the failover: never two successes for one code.
  for (const answers of raced) {
    const successes = answers.filter((a) => a === CheckResult.CHECK_RESULT_VERIFIED).length;
    assert.ok(successes <= 1, `${successes} successes for one code`);
    for (const a of answers)
      assert.ok(
        a === CheckResult.CHECK_RESULT_VERIFIED || a === CheckResult.CHECK_RESULT_ALREADY_USED,
        `a racing check answered ${String(a)}`,
      );
  }
  t.diagnostic(
    `racing checks: ${raced.length} codes, ${raced.filter((a) => a.includes(CheckResult.CHECK_RESULT_VERIFIED)).length} verified once, ` +
      `the rest spent without an answered success (fail closed)`,
  );

  assertEndedAsDesigned(stack, load);
  await assertGuardsHeld(stack, guards);
  await assertLogInvariants(stack, load);
  await Promise.all([kafkaFullyReplicated(stack), stack.redisCluster.waitHealthy()]);
}
