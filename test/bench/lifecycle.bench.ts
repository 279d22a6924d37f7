/**
 * End to end over real gRPC, Kafka, Redis and SMPP, every service and the load generator in
 * this process (so the figures include the generator's own CPU on the same cores):
 * - complete lifecycles (start → route → submit_sm → receipt → check), closed loop with N users
 *   and open loop at fixed arrival rates;
 * - StartVerification alone at a fixed rate, with accept-to-submit_sm (answer → the submit_sm
 *   reaching the SMSC simulator), then CheckCode alone at the same rate on those codes.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { createBenchUsers, emptyStages, type BenchUsers, type Handset, type StageTimes } from "./bench-users";
import { noProfiler, type Profiler } from "./cpu-profile";
import { closedLoopFor, openLoop, summarize, type LatencySummary } from "./load";
import { cpuPerOperation, type CpuSnapshot } from "./process-stats";
import type { SmsPlatform } from "./sms-platform";

export interface StageSummaries {
  start: LatencySummary;
  acceptToSubmit: LatencySummary;
  check: LatencySummary;
  lifecycle: LatencySummary;
}

export interface LifecycleRun {
  label: string;
  /** Arrivals per second (open loop) or undefined (closed loop). */
  offeredPerSec?: number;
  users?: number;
  seconds: number;
  completed: number;
  completedPerSec: number;
  errors: Record<string, number>;
  stages: StageSummaries;
  /** CPU ms per completed lifecycle, per process (pipeline drained before the second reading). */
  cpu?: CpuPerOperation;
}

export type CpuPerOperation = ReturnType<typeof cpuPerOperation>;

/** Reads CPU time of the processes involved (see process-stats.ts). */
export type CpuReader = () => Promise<CpuSnapshot>;

export interface LifecycleBenchOptions {
  closedUsers: number;
  closedSeconds: number;
  openRates: number[];
  openSeconds: number;
  /** Rate of the StartVerification-only and CheckCode-only runs (the goals' 1,000/s). */
  singleRate: number;
  singleSeconds: number;
  /** How long a run's backlog may take to drain before the next run starts, at most. */
  settleMs: number;
}

export interface LifecycleBenchResult {
  closed: LifecycleRun;
  open: LifecycleRun[];
  startOnly: {
    offeredPerSec: number;
    start: LatencySummary;
    acceptToSubmit: LatencySummary;
    /** CPU per start, including routing and sending it (not checking it). */
    cpu?: CpuPerOperation;
  };
  checkOnly: { offeredPerSec: number; check: LatencySummary; cpu?: CpuPerOperation };
}

export async function benchLifecycle(
  h: SmsPlatform,
  o: LifecycleBenchOptions,
  profile: Profiler = noProfiler,
  cpu?: CpuReader,
): Promise<LifecycleBenchResult> {
  const measured = async <T extends { count: number }>(run: () => Promise<T>) => {
    const before = await cpu?.();
    const result = await run();
    await settle(h, o.settleMs);
    const after = await cpu?.();
    return { result, cpu: before && after ? cpuPerOperation(before, after, result.count) : undefined };
  };
  const users = createBenchUsers(h);
  // Warm up connections, JIT, script caches and consumer fetch loops.
  await closedLoopFor(2, 16, () => users.lifecycle(emptyStages()));
  await settle(h, o.settleMs);

  const closedStages = emptyStages();
  const closedRun = await measured(() =>
    profile("lifecycle-closed-loop", () =>
      closedLoopFor(o.closedSeconds, o.closedUsers, () => users.lifecycle(closedStages)),
    ),
  );
  const closed = runOf(`closed loop, ${o.closedUsers} users`, closedRun.result, closedStages, {
    users: o.closedUsers,
    cpu: closedRun.cpu,
  });

  const open: LifecycleRun[] = [];
  for (const rate of o.openRates) {
    const stages = emptyStages();
    const run = await measured(() => openLoop(rate, o.openSeconds, () => users.lifecycle(stages)));
    open.push(runOf(`open loop ${rate}/s`, run.result, stages, { offeredPerSec: rate, cpu: run.cpu }));
  }

  const cpuBeforeStarts = await cpu?.();
  const { startOnly, codes } = await profile(`start-${o.singleRate}-per-second`, () =>
    startsAlone(h, users, o.singleRate, o.singleSeconds, o.settleMs),
  );
  const cpuAfterStarts = await cpu?.();
  if (cpuBeforeStarts && cpuAfterStarts) {
    startOnly.cpu = cpuPerOperation(cpuBeforeStarts, cpuAfterStarts, startOnly.start.count);
  }
  const checkStages = emptyStages();
  let next = 0;
  const checkSeconds = Math.min(o.singleSeconds, codes.length / o.singleRate);
  const checkRun = await measured(() =>
    openLoop(o.singleRate, checkSeconds, () => {
      const c = codes[next++];
      return c ? users.check(c.id, c.code, checkStages) : Promise.reject(new Error("no code left"));
    }),
  );
  users.close();
  const checkOnly = {
    offeredPerSec: o.singleRate,
    check: summarize(checkStages.check, count(checkStages), checkSeconds),
    cpu: checkRun.cpu,
  };
  return { closed, open, startOnly, checkOnly };
}

/** StartVerification alone at a fixed rate; the codes are kept for the CheckCode run. */
async function startsAlone(
  h: SmsPlatform,
  users: BenchUsers,
  rate: number,
  seconds: number,
  settleMs: number,
): Promise<{ startOnly: LifecycleBenchResult["startOnly"]; codes: { id: string; code: string }[] }> {
  const stages = emptyStages();
  const pending: Promise<{ id: string; answeredAt: number; handset: Handset }>[] = [];
  const run = await openLoop(rate, seconds, async () => {
    const started = await users.start(stages);
    const sms = started.sms.then((handset) => ({ id: started.id, answeredAt: started.answeredAt, handset }));
    sms.catch(() => undefined);
    pending.push(sms);
  });
  const delivered = await Promise.allSettled(pending);
  const codes: { id: string; code: string }[] = [];
  const acceptToSubmit: number[] = [];
  for (const d of delivered) {
    if (d.status !== "fulfilled") continue;
    acceptToSubmit.push(d.value.handset.at - d.value.answeredAt);
    codes.push({ id: d.value.id, code: d.value.handset.code });
  }
  await settle(h, settleMs);
  return {
    startOnly: {
      offeredPerSec: rate,
      // Latency from the due time of each call (so a generator falling behind shows too).
      start: run,
      acceptToSubmit: summarize(acceptToSubmit, delivered.length - acceptToSubmit.length, run.seconds),
    },
    codes,
  };
}

function runOf(
  label: string,
  run: LatencySummary,
  stages: StageTimes,
  extra: { users?: number; offeredPerSec?: number; cpu?: CpuPerOperation },
): LifecycleRun {
  const errors = count(stages);
  return {
    label,
    ...extra,
    seconds: run.seconds,
    completed: run.count,
    completedPerSec: run.perSecond,
    errors: stages.errors,
    stages: {
      start: summarize(stages.start, errors, run.seconds),
      acceptToSubmit: summarize(stages.acceptToSubmit, 0, run.seconds),
      check: summarize(stages.check, 0, run.seconds),
      // Open loop: from each lifecycle's due time; closed loop: from its first call.
      lifecycle: run,
    },
  };
}

const count = (stages: StageTimes): number => Object.values(stages.errors).reduce((a, b) => a + b, 0);

/**
 * Waits until the pipeline has drained what the last run left (consumers idle for half a
 * second), so one run's backlog does not land in the next one's figures.
 */
export async function settle(h: SmsPlatform, maxMs = 30_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  let last = -1;
  let quiet = 0;
  while (Date.now() < deadline && quiet < 2) {
    const seen = h.busCounts().consumed + h.simulator.stats().receiptsAcked;
    quiet = seen === last ? quiet + 1 : 0;
    last = seen;
    await sleep(250);
  }
}
