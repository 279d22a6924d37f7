/**
 * The services as they are deployed (deployed-stack.ts: every service, the SMSC simulator and
 * the load generator in processes of their own), complete SMS lifecycles over mTLS gRPC, Kafka,
 * Redis and SMPP:
 * - open-loop runs at fixed arrival rates: lifecycles/s, StartVerification, accept → submit_sm
 *   and CheckCode latencies, and per complete lifecycle the CPU of each process, Kafka requests
 *   by API and Redis commands (pipeline drained before the second reading);
 * - Redis round trips per lifecycle, counted with MONITOR in a run of their own;
 * - takeover: a second routing replica joins, then is SIGKILLed under load; the time until the
 *   survivor serves every partition the dead one owned, and whether any accepted start was lost
 *   or any SMS sent twice.
 */
import { Kafka, logLevel } from "kafkajs";
import type { Redis } from "ioredis";
import { createBenchUsers, emptyStages, type BenchUsers, type StageTimes } from "./bench-users";
import {
  drain,
  perLifecycle,
  stageSummaries,
  takeReadings,
  type PerLifecycle,
  type ProcessName,
  type ReadingSources,
} from "./deployed-measures";
import { startDeployedStack, type DeployedStack } from "./deployed-stack";
import { benchTakeover, type TakeoverResult } from "./takeover.bench";
import { closedLoopFor, openLoop, type LatencySummary } from "./load";
import type { LifecycleRun } from "./lifecycle.bench";
import { startMonitor } from "./redis-monitor";
import { commandName, knownScripts } from "./round-trips.bench";
import { testKafkaSecurity } from "../support/kafka-security";

export interface DeployedBenchOptions {
  brokers: string;
  redisUrl: string;
  redis: Redis;
  kafkaPid: number | undefined;
  /** Open-loop arrival rates; the first is the latency goals' rate (500/s). */
  rates: number[];
  seconds: number;
  /** A closed loop of this many users after the open-loop runs: the capacity without a backlog. */
  closedUsers: number;
  roundTripSeconds: number;
  takeoverSeconds: number;
  routingSessionTimeoutMs: number;
  settleMs: number;
  log: (line: string) => void;
}

/** A lifecycle run of the single-process bench's shape, measured per process. */
export interface DeployedRun extends Omit<LifecycleRun, "cpu"> {
  /** Per complete lifecycle, between readings taken before the run and after it drained. */
  perLifecycle: PerLifecycle;
  /** Phones that received two SMS (each verification has its own phone). */
  sentTwice: number;
  drained: boolean;
}

export interface DeployedSummary {
  lifecyclesPerSec: number;
  /** The run the CPU, Kafka and Redis figures below come from (the highest clean throughput). */
  capacityRun: string;
  cpuMsPerLifecycle: Partial<Record<ProcessName, number>>;
  platformCpuMsPerLifecycle: number | undefined;
  totalCpuMsPerLifecycle: number | undefined;
  latencyRatePerSec: number;
  startP99Ms: number;
  checkP99Ms: number;
  acceptToSubmitP99Ms: number;
  latencyErrors: number;
  redisRoundTripsPerLifecycle: number;
  redisCommandsPerLifecycle: number;
  kafkaProducePerLifecycle: number;
  kafkaFetchPerLifecycle: number;
  kafkaRequestsPerLifecycle: number;
  takeoverMs: number | undefined;
  takeoverLost: number;
  takeoverSentTwice: number;
}

export interface DeployedResult {
  summary: DeployedSummary;
  processes: { name: string; pid: number | undefined }[];
  routingSessionTimeoutMs: number;
  runs: DeployedRun[];
  redisRoundTrips: { lifecycles: number; perLifecycle: number; byCommand: Record<string, number> };
  takeover: TakeoverResult;
  warnings: { count: number; byMessage: Record<string, number> };
}

export async function benchDeployed(o: DeployedBenchOptions): Promise<DeployedResult> {
  o.log("deployed: starting issuance, verification, routing, gateway-smpp and the SMSC simulator …");
  const stack = await startDeployedStack({
    brokers: o.brokers,
    redisUrl: o.redisUrl,
    routingSessionTimeoutMs: o.routingSessionTimeoutMs,
    // This phase measures what the pipeline carries and costs when saturated, so admission does
    // not shed here: not on its event-loop signals (utilisation and lag), its backlog or its
    // in-flight bound, which an open loop past capacity passes within seconds and which then
    // keeps it limiting through the closed loop that follows. The surge phase measures
    // admission (ADR 0011).
    issuanceEnv: {
      ADMISSION_ELU_PERCENT: "100",
      ADMISSION_LOOP_LAG_MS: "60000",
      ADMISSION_MAX_IN_FLIGHT: "1000000",
      // An empty group list means the default groups; a limit no backlog reaches turns it off.
      ADMISSION_BACKLOG_LIMIT: "1000000000",
    },
  });
  const kafka = new Kafka({
    clientId: "bench-drain",
    brokers: o.brokers.split(","),
    logLevel: logLevel.NOTHING,
    ...testKafkaSecurity(),
  });
  const admin = kafka.admin();
  await admin.connect();
  const redisPid = Number((await o.redis.info("server")).match(/process_id:(\d+)/)?.[1]);
  const sources: ReadingSources = {
    pids: () => ({
      issuance: [stack.services.issuance.pid],
      verification: [stack.services.verification.pid],
      routing: [stack.services.routing, ...stack.extraRouting].filter((p) => p.running()).map((p) => p.pid),
      "gateway-smpp": [stack.services["gateway-smpp"].pid],
      "smsc-simulator": [stack.simulator.pid],
      ...(o.kafkaPid === undefined ? {} : { kafka: [o.kafkaPid] }),
      ...(Number.isFinite(redisPid) ? { redis: [redisPid] } : {}),
    }),
    metricsUrls: () => stack.metricsUrls(),
    redis: o.redis,
  };
  const groups = [`${stack.prefix}-routing`, `${stack.prefix}-gateway`, "otp-projector"];
  const settle = () => drain(admin, stack.verificationsTopic, groups, o.settleMs);
  const users = createBenchUsers(stack);
  try {
    o.log("deployed: warming up …");
    await closedLoopFor(3, 16, () => users.lifecycle(emptyStages()));
    await settle();
    const runs: DeployedRun[] = [];
    for (const rate of o.rates) {
      o.log(`deployed: open loop ${rate}/s …`);
      const run = (stages: StageTimes) => openLoop(rate, o.seconds, () => users.lifecycle(stages));
      runs.push({
        label: `open loop ${rate}/s`,
        offeredPerSec: rate,
        ...(await measuredRun(stack, sources, settle, run)),
      });
    }
    o.log(`deployed: closed loop, ${o.closedUsers} users …`);
    const closed = (stages: StageTimes) =>
      closedLoopFor(o.seconds, o.closedUsers, () => users.lifecycle(stages));
    runs.push({
      label: `closed loop, ${o.closedUsers} users`,
      users: o.closedUsers,
      ...(await measuredRun(stack, sources, settle, closed)),
    });
    o.log("deployed: Redis round trips (MONITOR) …");
    const redisRoundTrips = await countRoundTrips(users, `${stack.prefix}:`, o, settle);
    o.log("deployed: takeover (a second routing replica, SIGKILLed under load) …");
    // Lost means never arrived, not late: a user waits as long as a drain may take.
    const patientUsers = createBenchUsers(stack, o.settleMs + 60_000);
    const takeover = await benchTakeover(stack, patientUsers, {
      ratePerSec: o.rates[0] ?? 500,
      seconds: o.takeoverSeconds,
      settle,
    });
    patientUsers.close();
    return {
      summary: summarise(runs, redisRoundTrips.perLifecycle, takeover),
      processes: [
        ...Object.values(stack.services).map((p) => ({ name: p.name, pid: p.pid })),
        ...stack.extraRouting.map((p) => ({ name: p.name, pid: p.pid })),
        { name: stack.simulator.name, pid: stack.simulator.pid },
        { name: "Kafka broker", pid: o.kafkaPid },
        { name: "redis-server", pid: Number.isFinite(redisPid) ? redisPid : undefined },
        { name: "load generator (bench process)", pid: process.pid },
      ],
      routingSessionTimeoutMs: o.routingSessionTimeoutMs,
      runs,
      redisRoundTrips,
      takeover,
      warnings: stack.warnings(),
    };
  } finally {
    users.close();
    await admin.disconnect().catch(() => undefined);
    await stack.close();
  }
}

async function measuredRun(
  stack: DeployedStack,
  sources: ReadingSources,
  settle: () => Promise<boolean>,
  load: (stages: StageTimes) => Promise<LatencySummary>,
): Promise<Omit<DeployedRun, "label" | "offeredPerSec" | "users">> {
  const stages = emptyStages();
  stack.feed.resetCounts();
  const before = await takeReadings(sources);
  const run = await load(stages);
  const drained = await settle();
  const after = await takeReadings(sources);
  return {
    seconds: run.seconds,
    completed: run.count,
    completedPerSec: run.perSecond,
    errors: stages.errors,
    stages: stageSummaries(stages, run),
    perLifecycle: perLifecycle(before, after, run.count),
    sentTwice: stack.feed.sentTwice(),
    drained,
  };
}

/**
 * Commands the services sent to Redis (not those their scripts ran inside it), per lifecycle,
 * named by script or key kind; commands outside the run's store prefix are not counted.
 */
async function countRoundTrips(
  users: BenchUsers,
  storePrefix: string,
  o: DeployedBenchOptions,
  settle: () => Promise<boolean>,
): Promise<DeployedResult["redisRoundTrips"]> {
  const scripts = knownScripts();
  const byCommand: Record<string, number> = {};
  let total = 0;
  const monitor = await startMonitor(o.redisUrl, (_time, args, source) => {
    if (source === "lua") return;
    const name = commandName(args, scripts, storePrefix);
    if (name === "") return;
    total++;
    byCommand[name] = (byCommand[name] ?? 0) + 1;
  });
  const stages = emptyStages();
  const run = await openLoop(o.rates[0] ?? 500, o.roundTripSeconds, () => users.lifecycle(stages));
  await settle();
  monitor.close();
  const n = Math.max(1, run.count);
  for (const name of Object.keys(byCommand)) byCommand[name] = byCommand[name]! / n;
  return { lifecycles: run.count, perLifecycle: total / n, byCommand };
}

function summarise(runs: DeployedRun[], roundTrips: number, takeover: TakeoverResult): DeployedSummary {
  const clean = runs.filter((r) => Object.keys(r.errors).length === 0);
  const capacity = [...(clean.length > 0 ? clean : runs)].sort(
    (a, b) => b.completedPerSec - a.completedPerSec,
  )[0];
  const latency = runs[0];
  const per = capacity?.perLifecycle;
  const errors = latency ? Object.values(latency.errors).reduce((a, b) => a + b, 0) : 0;
  return {
    lifecyclesPerSec: clean.length > 0 ? Math.max(...clean.map((r) => r.completedPerSec)) : 0,
    capacityRun: capacity?.label ?? "none",
    cpuMsPerLifecycle: per?.cpuMs ?? {},
    platformCpuMsPerLifecycle: per?.platformCpuMs,
    totalCpuMsPerLifecycle: per?.totalCpuMs,
    latencyRatePerSec: latency?.offeredPerSec ?? 0,
    startP99Ms: latency?.stages.start.p99Ms ?? 0,
    checkP99Ms: latency?.stages.check.p99Ms ?? 0,
    acceptToSubmitP99Ms: latency?.stages.acceptToSubmit.p99Ms ?? 0,
    latencyErrors: errors,
    redisRoundTripsPerLifecycle: roundTrips,
    redisCommandsPerLifecycle: per?.redisCommands ?? 0,
    kafkaProducePerLifecycle: per?.kafkaProduce ?? 0,
    kafkaFetchPerLifecycle: per?.kafkaFetch ?? 0,
    kafkaRequestsPerLifecycle: per?.kafkaAll ?? 0,
    takeoverMs: takeover.takeoverMs,
    takeoverLost: takeover.lost,
    takeoverSentTwice: takeover.sentTwice,
  };
}
