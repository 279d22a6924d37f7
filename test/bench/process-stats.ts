/**
 * What the bench reads about processes and Redis: peak resident memory (VmHWM in
 * /proc/<pid>/status, Linux), load average, Redis INFO sections.
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import { Redis } from "ioredis";

export interface ProcessMemory {
  name: string;
  pid: number | undefined;
  /** Peak resident set (VmHWM), MiB; undefined when the process cannot be read. */
  peakRssMiB: number | undefined;
  rssMiB: number | undefined;
}

export function processMemory(name: string, pid: number | undefined): ProcessMemory {
  if (pid === undefined) return { name, pid, peakRssMiB: undefined, rssMiB: undefined };
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (field: string) => {
      const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
      return match ? Number(match[1]) / 1024 : undefined;
    };
    return { name, pid, peakRssMiB: kib("VmHWM"), rssMiB: kib("VmRSS") };
  } catch {
    return { name, pid, peakRssMiB: undefined, rssMiB: undefined };
  }
}

export interface MachineLine {
  text: string;
  cpus: number;
  model: string;
  memGiB: number;
  node: string;
  loadAvg: number[];
}

export function machineLine(): MachineLine {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? "cpu";
  const memGiB = Math.round(os.totalmem() / 2 ** 30);
  const loadAvg = os.loadavg().map((l) => Math.round(l * 100) / 100);
  return {
    text:
      `${cpus.length} × ${model}, ${memGiB} GiB, Node ${process.version}; ` +
      `load average ${loadAvg.join(" / ")} (1 / 5 / 15 min)`,
    cpus: cpus.length,
    model,
    memGiB,
    node: process.version,
    loadAvg,
  };
}

/** A plain ioredis connection for INFO and MONITOR (not the store: no prefix, no scripts). */
export function adminRedis(url: string): Redis {
  return new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
}

/** INFO <section> as field → value. */
export async function redisInfo(redis: Redis, section: string): Promise<Record<string, string>> {
  const text = await redis.info(section);
  const out: Record<string, string> = {};
  for (const line of text.split("\r\n")) {
    const at = line.indexOf(":");
    if (at > 0 && !line.startsWith("#")) out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

/** CPU seconds used so far by the bench process, redis-server and the Kafka JVM (when known). */
export interface CpuSnapshot {
  bench: number;
  redis: number | undefined;
  kafka: number | undefined;
}

export async function cpuSnapshot(redis: Redis, kafkaPid: number | undefined): Promise<CpuSnapshot> {
  const own = process.cpuUsage();
  const info: Record<string, string | undefined> = await redisInfo(redis, "cpu").catch(() => ({}));
  const redisCpu =
    info.used_cpu_user === undefined
      ? undefined
      : Number(info.used_cpu_user) + Number(info.used_cpu_sys ?? 0);
  return { bench: (own.user + own.system) / 1e6, redis: redisCpu, kafka: processCpuSeconds(kafkaPid) };
}

/** utime + stime of a process from /proc/<pid>/stat, in seconds. */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    return ticks / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** CPU milliseconds per operation between two snapshots, per process. */
export function cpuPerOperation(
  before: CpuSnapshot,
  after: CpuSnapshot,
  operations: number,
): { benchMs: number; redisMs: number | undefined; kafkaMs: number | undefined } {
  const per = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : ((a - b) * 1000) / Math.max(1, operations);
  return {
    benchMs: per(after.bench, before.bench) ?? 0,
    redisMs: per(after.redis, before.redis),
    kafkaMs: per(after.kafka, before.kafka),
  };
}
