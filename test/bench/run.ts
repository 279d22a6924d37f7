/**
 * `npm run bench [-- --quick] [-- --json] [-- --profile[=dir]] [-- --only=lifecycle,sweep]`:
 * benchmarks on a real Kafka broker and redis-server (started here unless KAFKA_BROKERS /
 * REDIS_URL are given). Prints tables with each goal next to its measure, or JSON for tools.
 *
 * Phases: baseline, store, roundtrips, memory, lifecycle, shedding, sweep (on one SMS platform in
 * this process), then routing, smpp, smpp-throttle and silent (their own harnesses), then
 * deployed (every service, the SMSC simulator and the load generator in processes of their own),
 * then smpp-peer (gateway-smpp beside Kannel's bearerbox + smsbox when Debian's Kannel is
 * installed). --quick stays under ~5 minutes.
 * With KAFKA_BROKERS given, KAFKA_PID (the broker's pid on this machine) adds its CPU and memory.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startKafka } from "../harness/kafka";
import { startRedis } from "../harness/redis";
import { benchBaseline } from "./baseline.bench";
import { benchDeployed } from "./deployed.bench";
import {
  createProfiler,
  noProfiler,
  type Profiler,
  summarizeProfile,
  type ProfileSummary,
} from "./cpu-profile";
import { benchLifecycle } from "./lifecycle.bench";
import { benchRedisMemory } from "./memory.bench";
import { adminRedis, cpuSnapshot, machineLine, processMemory, redisInfo } from "./process-stats";
import { formatReport, type BenchResults } from "./report";
import { benchRoundTrips } from "./round-trips.bench";
import { benchRouting } from "./routing.bench";
import { benchShedding } from "./shedding.bench";
import { benchSurge } from "./surge.bench";
import { benchStore } from "./store.bench";
import { DEFAULT_CASES, formatSmppBench, runSmppBench } from "./smpp.bench";
import { formatThrottleBench, runThrottleBench } from "./smpp-throttle.bench";
import { benchSmppPeer } from "./smpp-peer.bench";
import { formatPeerBench } from "./smpp-peer-report";
import { startSmsPlatform } from "./sms-platform";
import { benchSweep } from "./sweep.bench";
import { benchSilent, formatSilentBench } from "./silent.bench";

const args = process.argv.slice(2);
const json = args.includes("--json");
const quick = args.includes("--quick");
const only = args
  .find((a) => a.startsWith("--only="))
  ?.slice("--only=".length)
  .split(",");
const profileArg = args.find((a) => a === "--profile" || a.startsWith("--profile="));
const wanted = (phase: string): boolean => only === undefined || only.includes(phase);
const began = performance.now();
const log = (line: string): void => {
  if (!json) process.stderr.write(`[${((performance.now() - began) / 1000).toFixed(0)} s] ${line}\n`);
};

/** The goals' rate, and how long each phase runs. */
const SETTINGS = quick
  ? {
      baselineRates: [250, 1_000],
      baselineSeconds: 3,
      lifecycle: {
        closedUsers: 64,
        closedSeconds: 4,
        openRates: [250, 1_000],
        openSeconds: 2,
        singleRate: 1_000,
        singleSeconds: 2,
        settleMs: 15_000,
      },
      sweep: {
        fromRate: 250,
        factor: 2,
        maxRate: 4_000,
        secondsPerStep: 2,
        targetP99Ms: 10,
        settleMs: 5_000,
      },
      shedding: { maxInFlight: 4, ratePerSec: 3_000, seconds: 1 },
      memory: { verifications: 500, ratePerSec: 250 },
      roundTrips: 5,
      storeCalls: 20_000,
      routing: { verifications: 100, ratePerSec: 50 },
      smppScale: 0.2,
      deployed: {
        rates: [500, 1_000],
        seconds: 4,
        closedUsers: 64,
        roundTripSeconds: 2,
        takeoverSeconds: 10,
        settleMs: 20_000,
      },
      smppThrottle: { settleSeconds: 3, measuredSeconds: 5 },
      surge: {
        capacitySeconds: 6,
        capacityUsers: 64,
        calmSeconds: 8,
        calmShare: 0.1,
        rampSeconds: 10,
        holdSeconds: 10,
        peakFactor: 10,
      },
      smppPeer: { messages: 3_000, window: 20, warmup: 500, latencyRatePerSec: 100, latencySeconds: 5 },
    }
  : {
      baselineRates: [250, 500, 1_000],
      baselineSeconds: 5,
      lifecycle: {
        closedUsers: 128,
        closedSeconds: 15,
        openRates: [250, 500, 1_000],
        openSeconds: 5,
        singleRate: 1_000,
        singleSeconds: 5,
        settleMs: 60_000,
      },
      sweep: {
        fromRate: 250,
        factor: Math.SQRT2,
        maxRate: 8_000,
        secondsPerStep: 5,
        targetP99Ms: 10,
        settleMs: 20_000,
      },
      shedding: { maxInFlight: 4, ratePerSec: 3_000, seconds: 2 },
      memory: { verifications: 2_500, ratePerSec: 250 },
      roundTrips: 10,
      storeCalls: 100_000,
      routing: { verifications: 400, ratePerSec: 100 },
      smppScale: 1,
      deployed: {
        // 500/s: the latency goals' rate; 1,000/s: the throughput goal; 100/s: with headroom.
        rates: [500, 1_000, 100],
        seconds: 10,
        closedUsers: 128,
        roundTripSeconds: 4,
        takeoverSeconds: 15,
        settleMs: 60_000,
      },
      smppThrottle: { settleSeconds: 5, measuredSeconds: 15 },
      // Issue #22: the ramp to ten times capacity takes a minute, as a ticket sale's does.
      surge: {
        capacitySeconds: 15,
        capacityUsers: 64,
        calmSeconds: 20,
        calmShare: 0.1,
        rampSeconds: 60,
        holdSeconds: 20,
        peakFactor: 10,
      },
      smppPeer: { messages: 10_000, window: 20, warmup: 1_000, latencyRatePerSec: 200, latencySeconds: 10 },
    };

/**
 * Routing's group session timeout in the deployed phase (its default is 6 s): a SIGKILLed
 * replica's partitions wait this long for the group to notice. The bench's broker allows 1 s
 * and more (group.min.session.timeout.ms in test/kafka/broker-config.ts).
 */
const ROUTING_SESSION_TIMEOUT_MS = 3_000;

/** What the phases of a run share: where results go, the backends, the profiler. */
interface BenchRun {
  results: BenchResults;
  brokers: string;
  redisUrl: string;
  redis: ReturnType<typeof adminRedis>;
  kafkaPid: number | undefined;
  profiler: ReturnType<typeof createProfiler> | undefined;
  profile: Profiler;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const stops: (() => Promise<void>)[] = [];
  const results: BenchResults = {
    mode: quick ? "quick" : "full",
    machine: machineLine(),
    loadAtEnd: [],
    seconds: 0,
  };
  log(`machine: ${results.machine.text}`);
  try {
    const { kafkaPid, brokers, redisUrl } = await startBackends(stops);
    const redis = adminRedis(redisUrl);
    stops.push(async () => void redis.disconnect());
    const profiler = profileArg ? createProfiler(profileDir(profileArg)) : undefined;
    const profile = profiler?.profile ?? noProfiler;
    const run: BenchRun = { results, brokers, redisUrl, redis, kafkaPid, profiler, profile };

    if (wanted("baseline")) {
      log("baseline: grpc-js + ioredis + kafkajs …");
      results.baseline = await benchBaseline({
        brokers,
        redisUrl,
        rates: SETTINGS.baselineRates,
        seconds: SETTINGS.baselineSeconds,
        cpu: () => cpuSnapshot(redis, kafkaPid),
      });
    }
    if (wanted("store")) {
      log("Redis store adapter …");
      results.store = await benchStore(redisUrl, SETTINGS.storeCalls);
    }
    await benchPlatformPhases(run);
    await benchServicePhases(run);
    await benchPeerPhase(run);
    results.processes = [
      processMemory("bench process (every service, simulator, load generator)", process.pid),
      processMemory("Kafka broker (java)", kafkaPid),
      processMemory("redis-server", await redisPid(redis)),
    ];
    results.profiles = profiler?.summaries;
    results.loadAtEnd = os.loadavg().map((l) => Math.round(l * 100) / 100);
    results.seconds = (performance.now() - t0) / 1000;
    printResults(results);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

/** Kafka and Redis of the run's own unless given; the broker's pid when it runs here. */
async function startBackends(
  stops: (() => Promise<void>)[],
): Promise<{ kafkaPid: number | undefined; brokers: string; redisUrl: string }> {
  let kafkaPid: number | undefined;
  if (!process.env.KAFKA_BROKERS) {
    const kafka = await startKafka();
    stops.push(() => kafka.stop());
    process.env.KAFKA_BROKERS = kafka.brokers;
    kafkaPid = kafka.pid;
  } else if (process.env.KAFKA_PID) {
    kafkaPid = Number(process.env.KAFKA_PID); // a broker of your own on this machine
  }
  if (!process.env.REDIS_URL) {
    const redis = await startRedis();
    stops.push(() => redis.stop());
    process.env.REDIS_URL = redis.url;
  }
  return { kafkaPid, brokers: process.env.KAFKA_BROKERS, redisUrl: process.env.REDIS_URL };
}

/** The phases that run on one SMS platform in this process. */
async function benchPlatformPhases({ results, redisUrl, redis, kafkaPid, profile }: BenchRun): Promise<void> {
  if (["roundtrips", "lifecycle", "sweep", "shedding", "memory"].some(wanted)) {
    log("starting the SMS platform …");
    const h = await startSmsPlatform();
    try {
      if (wanted("roundtrips")) {
        log("round trips per verification …");
        results.roundTrips = await benchRoundTrips(h, redisUrl, SETTINGS.roundTrips);
      }
      // Before the load runs: their backlog would land in the difference.
      if (wanted("memory")) {
        log("Redis memory per pending verification …");
        results.redisMemory = await benchRedisMemory(h, redis, SETTINGS.memory);
      }
      if (wanted("lifecycle")) {
        log("lifecycles …");
        results.lifecycle = await benchLifecycle(h, SETTINGS.lifecycle, profile, () =>
          cpuSnapshot(redis, kafkaPid),
        );
      }
      if (wanted("shedding")) {
        log("shedding …");
        results.shedding = await benchShedding(h, SETTINGS.shedding);
      }
      if (wanted("sweep")) {
        log("capacity sweep …");
        results.sweep = await benchSweep(h, SETTINGS.sweep);
      }
      results.warnings = h.warnings();
    } finally {
      await h.close();
    }
  }
}

/** Routing, SMPP, the deployed services, the surge and silent verification. */
async function benchServicePhases({ results, brokers, redisUrl, redis, kafkaPid }: BenchRun): Promise<void> {
  if (wanted("routing")) {
    log("routing timers …");
    results.routing = await benchRouting({ ...SETTINGS.routing, print: false });
  }
  if (wanted("smpp")) {
    log("SMPP …");
    const cases = DEFAULT_CASES.map((c) => ({
      ...c,
      messages: Math.round(c.messages * SETTINGS.smppScale),
    }));
    results.smpp = await runSmppBench(cases);
  }
  if (wanted("deployed")) {
    results.deployed = await benchDeployed({
      brokers: brokers,
      redisUrl: redisUrl,
      redis,
      kafkaPid,
      ...SETTINGS.deployed,
      routingSessionTimeoutMs: ROUTING_SESSION_TIMEOUT_MS,
      log,
    });
  }
  if (wanted("surge")) {
    results.surge = await benchSurge({
      brokers: brokers,
      redisUrl: redisUrl,
      ...SETTINGS.surge,
      log,
    });
  }
  if (wanted("silent")) {
    log("silent network verification …");
    results.silent = await benchSilent({
      users: quick ? 100 : 400,
      mobileDataShare: 0.6,
      concurrency: 20,
      smsPrice: 0.03,
    });
  }
  if (wanted("smpp-throttle")) {
    log("SMPP under throttling …");
    results.smppThrottle = await runThrottleBench(undefined, SETTINGS.smppThrottle);
  }
}

async function benchPeerPhase({
  results,
  brokers,
  redisUrl,
  redis,
  kafkaPid,
  profiler,
}: BenchRun): Promise<void> {
  if (wanted("smpp-peer")) {
    log("gateway-smpp beside Kannel …");
    const profileDirectory = profileArg ? profileDir(profileArg) : undefined;
    results.smppPeer = await benchSmppPeer(SETTINGS.smppPeer, {
      brokers,
      redisUrl,
      infraCpu: async () => {
        const cpu = await cpuSnapshot(redis, kafkaPid);
        return cpu.redis === undefined || cpu.kafka === undefined ? undefined : cpu.redis + cpu.kafka;
      },
      log,
      // --profile: the gateway process writes a .cpuprofile when it exits.
      gatewayEnv: profileDirectory
        ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${path.resolve(profileDirectory)}` }
        : undefined,
    });
    if (profileDirectory && profiler) profiler.summaries.push(...gatewayProfiles(profileDirectory, began));
  }
}

function printResults(results: BenchResults): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } else {
    process.stdout.write(`${formatReport(results)}\n`);
    if (results.smpp) process.stdout.write(`\n${formatSmppBench(results.smpp)}\n`);
    if (results.smppThrottle) process.stdout.write(`\n${formatThrottleBench(results.smppThrottle)}\n`);
    if (results.silent) process.stdout.write(`\n${formatSilentBench(results.silent)}\n`);
    if (results.smppPeer) process.stdout.write(`\n${formatPeerBench(results.smppPeer)}\n`);
  }
}

/** redis-server's pid when it runs on this machine (INFO server), else undefined. */
async function redisPid(redis: ReturnType<typeof adminRedis>): Promise<number | undefined> {
  const host = redis.options.host ?? "";
  if (!["127.0.0.1", "localhost", "::1"].includes(host)) return undefined;
  const pid = Number((await redisInfo(redis, "server")).process_id);
  return Number.isFinite(pid) && pid > 0 ? pid : undefined;
}

/** Summaries of the .cpuprofile files child processes wrote into `dir` since `sinceMs` (performance.now()). */
function gatewayProfiles(dir: string, sinceMs: number): ProfileSummary[] {
  const since = performance.timeOrigin + sinceMs;
  return readdirSync(dir)
    .filter((name) => name.startsWith("CPU.") && name.endsWith(".cpuprofile"))
    .map((name) => path.join(dir, name))
    .filter((file) => statSync(file).mtimeMs >= since)
    .map((file) =>
      summarizeProfile("gateway-smpp process (smpp-peer)", file, JSON.parse(readFileSync(file, "utf8"))),
    );
}

function profileDir(arg: string): string {
  const dir = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : ".cache/bench-profiles";
  mkdirSync(dir, { recursive: true });
  return dir;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
