/**
 * CPU profiles of single bench phases (`npm run bench -- --profile`), taken in process with
 * the inspector (same data as `node --cpu-prof`, but only while the phase runs). Each profile
 * is written as a .cpuprofile (open it in Chrome DevTools or speedscope) and summarised: where
 * the self time went, by function and by package.
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import path from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  name: string;
  file: string;
  seconds: number;
  /** Share of samples (0–100) by function, highest first. */
  topFunctions: { fn: string; where: string; percent: number }[];
  /** Share of samples by package or area (kafkajs, ioredis, grpc-js, our services, GC…). */
  byArea: { area: string; percent: number }[];
}

export type Profiler = <T>(name: string, run: () => Promise<T>) => Promise<T>;

export const noProfiler: Profiler = (_name, run) => run();

/** Profiles each named phase into `dir`; summaries collect in the returned list. */
export function createProfiler(dir: string): { profile: Profiler; summaries: ProfileSummary[] } {
  const summaries: ProfileSummary[] = [];
  const profile: Profiler = async (name, run) => {
    const session = new Session();
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 500 });
    await session.post("Profiler.start");
    try {
      return await run();
    } finally {
      const { profile: data } = (await session.post("Profiler.stop")) as { profile: CpuProfile };
      session.disconnect();
      const file = path.join(dir, `bench-${name}.cpuprofile`);
      writeFileSync(file, JSON.stringify(data));
      summaries.push(summarizeProfile(name, file, data));
    }
  };
  return { profile, summaries };
}

export function summarizeProfile(name: string, file: string, data: CpuProfile, top = 25): ProfileSummary {
  const hits = new Map<number, number>();
  for (const id of data.samples ?? []) hits.set(id, (hits.get(id) ?? 0) + 1);
  const total = Math.max(1, data.samples?.length ?? 0);
  const byFn = new Map<string, { fn: string; where: string; count: number }>();
  const byArea = new Map<string, number>();
  for (const node of data.nodes) {
    const count = hits.get(node.id) ?? 0;
    if (count === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : "";
    const fn = functionName || "(anonymous)";
    const key = `${fn} ${where}`;
    const entry = byFn.get(key) ?? { fn, where, count: 0 };
    entry.count += count;
    byFn.set(key, entry);
    const area = areaOf(fn, url);
    byArea.set(area, (byArea.get(area) ?? 0) + count);
  }
  const percent = (n: number) => Math.round((n / total) * 1000) / 10;
  return {
    name,
    file,
    seconds: (data.endTime - data.startTime) / 1e6,
    topFunctions: [...byFn.values()]
      .sort((a, b) => b.count - a.count)
      .slice(0, top)
      .map((e) => ({ fn: e.fn, where: e.where, percent: percent(e.count) })),
    byArea: [...byArea.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([area, count]) => ({ area, percent: percent(count) })),
  };
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) return url.slice(modules + "node_modules/".length);
  const root = `file://${process.cwd()}/`;
  return url.startsWith(root) ? url.slice(root.length) : url;
}

/** The package (node_modules/<name>), our top-level folder, node internals, or the VM's own work. */
function areaOf(fn: string, url: string): string {
  if (!url) return fn.startsWith("(") ? fn : "(native)";
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1] ?? "node_modules";
  if (url.startsWith("node:")) return "node internals";
  const ours = /\/(services\/[^/]+|gateway-smpp|proto|test)\//.exec(url);
  return ours?.[1] ?? url;
}
