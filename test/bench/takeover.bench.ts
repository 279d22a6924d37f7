/**
 * Takeover under load, on the deployed stack: a second routing replica joins the group and takes
 * about half the partitions; with lifecycles arriving at a fixed rate it is SIGKILLed, like a
 * machine losing power. Measured: from the SIGKILL until the survivor logs
 * "routing partition serving" for the last partition the dead replica owned (its session has to
 * lapse first: ROUTING_SESSION_TIMEOUT_MS), and, once the run has drained, whether every
 * accepted start completed (its SMS arrived and its code verified) and whether any phone got
 * two SMS (each verification has its own phone, so that would be an attempt sent twice).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { emptyStages, type BenchUsers } from "./bench-users";
import type { StageSummaries } from "./lifecycle.bench";
import { openLoop } from "./load";
import type { DeployedStack } from "./deployed-stack";
import { stageSummaries } from "./deployed-measures";

export interface TakeoverOptions {
  ratePerSec: number;
  seconds: number;
  settle: () => Promise<boolean>;
}

export interface TakeoverResult {
  offeredPerSec: number;
  seconds: number;
  /** Seconds into the run when the replica was killed. */
  killedAtSec: number;
  /** Partitions the killed replica served. */
  partitions: number[];
  /** SIGKILL → the survivor serving the last of them; undefined if it never did. */
  takeoverMs: number | undefined;
  /** The longest restore (fence, committed offset, changelog) among them. */
  restoreMsMax: number | undefined;
  /** Starts answered OK, and of those the ones that completed / did not. */
  accepted: number;
  completed: number;
  lost: number;
  sentTwice: number;
  errors: Record<string, number>;
  stages: StageSummaries;
}

const SERVING = '"routing partition serving"';
const field = (line: string, name: string): number | undefined => {
  const match = new RegExp(`"${name}":(\\d+)`).exec(line);
  return match ? Number(match[1]) : undefined;
};

export async function benchTakeover(
  stack: DeployedStack,
  users: BenchUsers,
  o: TakeoverOptions,
): Promise<TakeoverResult> {
  const survivor = stack.services.routing;
  const victim = await stack.addRoutingReplica();
  await sleep(2_000); // the group settles: each replica serves its share
  const partitions = [
    ...new Set(victim.recent().flatMap((l) => (l.includes(SERVING) ? [field(l, "partition") ?? -1] : []))),
  ]
    .filter((p) => p >= 0)
    .sort((a, b) => a - b);

  const served = new Map<number, { at: number; restoreMs: number | undefined }>();
  let killedAt: number | undefined;
  const stopListening = survivor.onLine((line, at) => {
    if (killedAt === undefined || !line.includes(SERVING)) return;
    const partition = field(line, "partition");
    if (partition !== undefined) served.set(partition, { at, restoreMs: field(line, "restoreMs") });
  });
  stack.feed.resetCounts();
  const stages = emptyStages();
  const killAfterMs = Math.min(3_000, (o.seconds * 1000) / 4);
  const t0 = performance.now();
  const kill = sleep(killAfterMs).then(async () => {
    killedAt = performance.now();
    await victim.stop("SIGKILL");
  });
  const run = await openLoop(o.ratePerSec, o.seconds, () => users.lifecycle(stages));
  await kill;
  await o.settle();
  await sleep(1_000); // a second send, if there were one, would show up by now
  stopListening();

  const taken = partitions.map((p) => served.get(p));
  const takeoverMs =
    killedAt !== undefined && partitions.length > 0 && taken.every((t) => t !== undefined)
      ? Math.max(...taken.map((t) => t.at - killedAt!))
      : undefined;
  const restores = taken.flatMap((t) => (t?.restoreMs === undefined ? [] : [t.restoreMs]));
  const refused = Object.entries(stages.errors)
    .filter(([kind]) => kind.startsWith("start:"))
    .reduce((a, [, n]) => a + n, 0);
  const failed = Object.values(stages.errors).reduce((a, b) => a + b, 0);
  return {
    offeredPerSec: o.ratePerSec,
    seconds: run.seconds,
    killedAtSec: ((killedAt ?? t0) - t0) / 1000,
    partitions,
    takeoverMs,
    restoreMsMax: restores.length > 0 ? Math.max(...restores) : undefined,
    accepted: run.count + failed - refused,
    completed: run.count,
    lost: failed - refused,
    sentTwice: stack.feed.sentTwice(),
    errors: stages.errors,
    stages: stageSummaries(stages, run),
  };
}
