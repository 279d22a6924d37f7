/**
 * What the deployed bench reads between two moments: CPU time of every process (/proc/<pid>/stat;
 * the load generator is this process), the services' Kafka requests per API (their /metrics,
 * otp_kafka_requests_total), Redis commands (INFO commandstats), and whether the pipeline has
 * drained (every consumer group's committed offset at the end of the verifications topic).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Admin } from "kafkajs";
import type { Redis } from "ioredis";
import type { StageTimes } from "./bench-users";
import type { StageSummaries } from "./lifecycle.bench";
import { summarize, type LatencySummary } from "./load";
import { processCpuSeconds, redisInfo } from "./process-stats";

/** Process names in the report and in the JSON. */
const SERVICE_PROCESSES = ["issuance", "verification", "routing", "gateway-smpp"] as const;
const PLATFORM_PROCESSES = [...SERVICE_PROCESSES, "kafka", "redis"] as const;
export const ALL_PROCESSES = [...PLATFORM_PROCESSES, "smsc-simulator", "load-generator"] as const;
export type ProcessName = (typeof ALL_PROCESSES)[number];

export interface Readings {
  /** CPU seconds so far, per process (routing replicas summed under "routing"). */
  cpu: Partial<Record<ProcessName, number>>;
  /** Kafka requests so far, per API, summed over the services. */
  kafka: Record<string, number>;
  /** The same per process (routing replicas apart). */
  kafkaByProcess: Record<string, Record<string, number>>;
  /** Redis commands so far (every command, also those scripts ran), and script calls. */
  redisCommands: number;
  redisScriptCalls: number;
}

export interface ReadingSources {
  pids: () => Partial<Record<ProcessName, number[]>>;
  metricsUrls: () => Record<string, string>;
  redis: Redis;
}

export async function takeReadings(sources: ReadingSources): Promise<Readings> {
  const cpu: Partial<Record<ProcessName, number>> = {};
  for (const [name, pids] of Object.entries(sources.pids())) {
    const seconds = pids.map(processCpuSeconds);
    if (seconds.every((s) => s !== undefined)) cpu[name as ProcessName] = seconds.reduce((a, b) => a + b, 0);
  }
  const own = process.cpuUsage();
  cpu["load-generator"] = (own.user + own.system) / 1e6;
  const [kafkaByProcess, redis] = await Promise.all([
    kafkaRequests(sources.metricsUrls()),
    redisCommands(sources.redis),
  ]);
  const kafka: Record<string, number> = {};
  for (const counts of Object.values(kafkaByProcess)) {
    for (const [api, n] of Object.entries(counts)) kafka[api] = (kafka[api] ?? 0) + n;
  }
  return { cpu, kafka, kafkaByProcess, ...redis };
}

export interface PerLifecycle {
  /** CPU ms per lifecycle, per process. */
  cpuMs: Partial<Record<ProcessName, number>>;
  /** Services, Kafka and Redis. */
  platformCpuMs: number | undefined;
  /** The platform, the SMSC simulator and the load generator. */
  totalCpuMs: number | undefined;
  kafkaRequests: Record<string, number>;
  kafkaRequestsByProcess: Record<string, Record<string, number>>;
  kafkaProduce: number;
  kafkaFetch: number;
  kafkaAll: number;
  redisCommands: number;
  redisScriptCalls: number;
}

export function perLifecycle(before: Readings, after: Readings, lifecycles: number): PerLifecycle {
  const n = Math.max(1, lifecycles);
  const cpuMs: Partial<Record<ProcessName, number>> = {};
  for (const name of ALL_PROCESSES) {
    const a = after.cpu[name];
    const b = before.cpu[name];
    if (a !== undefined && b !== undefined) cpuMs[name] = ((a - b) * 1000) / n;
  }
  const sum = (names: readonly ProcessName[]): number | undefined =>
    names.every((name) => cpuMs[name] !== undefined)
      ? names.reduce((total, name) => total + cpuMs[name]!, 0)
      : undefined;
  const kafkaRequests = deltaPer(before.kafka, after.kafka, n);
  const kafkaRequestsByProcess = Object.fromEntries(
    Object.entries(after.kafkaByProcess).map(([name, counts]) => [
      name,
      deltaPer(before.kafkaByProcess[name] ?? {}, counts, n),
    ]),
  );
  return {
    cpuMs,
    platformCpuMs: sum(PLATFORM_PROCESSES),
    totalCpuMs: sum(ALL_PROCESSES),
    kafkaRequests,
    kafkaRequestsByProcess,
    kafkaProduce: kafkaRequests.Produce ?? 0,
    kafkaFetch: kafkaRequests.Fetch ?? 0,
    kafkaAll: Object.values(kafkaRequests).reduce((a, b) => a + b, 0),
    redisCommands: (after.redisCommands - before.redisCommands) / n,
    redisScriptCalls: (after.redisScriptCalls - before.redisScriptCalls) / n,
  };
}

const KAFKA_REQUESTS = /^otp_kafka_requests_total\{api="([^"]+)"[^}]*\} (\d+(?:\.\d+)?(?:e\+?\d+)?)$/gm;

function deltaPer(
  before: Record<string, number>,
  after: Record<string, number>,
  n: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [api, count] of Object.entries(after)) {
    const delta = count - (before[api] ?? 0);
    if (delta > 0) out[api] = delta / n;
  }
  return out;
}

/** Each process's otp_kafka_requests_total by API, from its /metrics. */
async function kafkaRequests(urls: Record<string, string>): Promise<Record<string, Record<string, number>>> {
  const entries = await Promise.all(
    Object.entries(urls).map(async ([name, url]) => {
      let text = "";
      try {
        text = await (await fetch(`${url}/metrics`)).text();
      } catch {
        // a replica killed on purpose has no /metrics any more
      }
      const counts: Record<string, number> = {};
      for (const m of text.matchAll(KAFKA_REQUESTS)) counts[m[1]!] = (counts[m[1]!] ?? 0) + Number(m[2]);
      return [name, counts] as const;
    }),
  );
  return Object.fromEntries(entries);
}

const SCRIPT_COMMANDS = new Set(["eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"]);
/** What the bench itself sends: not the platform's work. */
const BENCH_COMMANDS = new Set(["info", "monitor", "ping", "client|setname", "client|setinfo"]);

async function redisCommands(redis: Redis): Promise<{ redisCommands: number; redisScriptCalls: number }> {
  const stats = await redisInfo(redis, "commandstats");
  let commands = 0;
  let scripts = 0;
  for (const [key, value] of Object.entries(stats)) {
    const name = key.replace(/^cmdstat_/, "");
    const calls = Number(/calls=(\d+)/.exec(value)?.[1] ?? 0);
    if (BENCH_COMMANDS.has(name)) continue;
    commands += calls;
    if (SCRIPT_COMMANDS.has(name)) scripts += calls;
  }
  return { redisCommands: commands, redisScriptCalls: scripts };
}

/**
 * Waits until the pipeline has drained: the verifications topic's end and every consumer group's
 * committed offsets (the projector, routing, the gateway) stop moving for three polls in a row.
 * "Stopped" rather than "lag 0": a partition ending in a transaction marker keeps a lag of one.
 */
export async function drain(admin: Admin, topic: string, groups: string[], maxMs: number): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  let last = "";
  let quiet = 0;
  while (Date.now() < deadline) {
    const ends = await admin.fetchTopicOffsets(topic);
    const committed = await Promise.all(
      groups.map(
        async (groupId) => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions ?? [],
      ),
    );
    const now = JSON.stringify([ends.map((e) => e.high), committed.map((ps) => ps.map((p) => p.offset))]);
    quiet = now === last ? quiet + 1 : 0;
    last = now;
    if (quiet >= 2) return true;
    await sleep(250);
  }
  return false;
}

/** Stage latencies of a run of lifecycles (the lifecycle's own from the load's summary). */
export function stageSummaries(stages: StageTimes, run: LatencySummary): StageSummaries {
  const errors = Object.values(stages.errors).reduce((a, b) => a + b, 0);
  return {
    start: summarize(stages.start, errors, run.seconds),
    acceptToSubmit: summarize(stages.acceptToSubmit, 0, run.seconds),
    check: summarize(stages.check, 0, run.seconds),
    lifecycle: run,
  };
}
