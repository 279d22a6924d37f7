/** The bench report for people: markdown tables, the machine line and the goals. */
import type { SilentBenchResult } from "./silent.bench";
import type { BaselineResult } from "./baseline.bench";
import type { ProfileSummary } from "./cpu-profile";
import type { DeployedResult } from "./deployed.bench";
import { deployedTables } from "./deployed-report";
import { checkGoals } from "./goals";
import type { CpuPerOperation, LifecycleBenchResult, LifecycleRun } from "./lifecycle.bench";
import type { LatencySummary } from "./load";
import type { RedisMemoryResult } from "./memory.bench";
import type { MachineLine, ProcessMemory } from "./process-stats";
import type { RoundTripsResult } from "./round-trips.bench";
import type { SheddingResult } from "./shedding.bench";
import type { SurgeResult, TenantFigures } from "./surge.bench";
import type { Warnings } from "./sms-platform";
import type { SmppBenchResult } from "./smpp.bench";
import type { ThrottleBenchResult } from "./smpp-throttle.bench";
import type { PeerResult } from "./smpp-peer.bench";
import type { StoreBenchRow } from "./store.bench";
import type { SweepResult } from "./sweep.bench";

export interface BenchResults {
  mode: "quick" | "full";
  machine: MachineLine;
  /** Load average when the run ended. */
  loadAtEnd: number[];
  seconds: number;
  baseline?: BaselineResult;
  store?: StoreBenchRow[];
  lifecycle?: LifecycleBenchResult;
  sweep?: SweepResult;
  shedding?: SheddingResult;
  surge?: SurgeResult;
  redisMemory?: RedisMemoryResult;
  roundTrips?: RoundTripsResult;
  routing?: Record<string, LatencySummary>;
  smpp?: SmppBenchResult[];
  /** Every service, the SMSC simulator and the load generator in processes of their own. */
  deployed?: DeployedResult;
  /** Learned rate under an SMSC that throttles above N/s (field names stable). */
  smppThrottle?: ThrottleBenchResult[];
  /** Silent network verification: share on mobile data, verified silently, time, SMS saved. */
  silent?: SilentBenchResult;
  /** gateway-smpp's full path beside Kannel's, same SMSC, window and messages (field names stable). */
  smppPeer?: PeerResult;
  processes?: ProcessMemory[];
  profiles?: ProfileSummary[];
  warnings?: Warnings;
}

const f = (n: number, digits = 1): string => n.toFixed(digits);
const lat = (s: LatencySummary): string => `${f(s.p50Ms)} / ${f(s.p99Ms)}`;

export function formatReport(r: BenchResults): string {
  const parts = [
    `machine: ${r.machine.text}`,
    `load average at the end: ${r.loadAtEnd.join(" / ")}; ${r.mode} run took ${f(r.seconds, 0)} s. ` +
      "Kafka, Redis, every service and the load generator share these cores; other users' load shows in the figures.",
    goalsTable(r),
    r.lifecycle && lifecycleTable(r.lifecycle, r.baseline?.cpu),
    r.lifecycle && singleTable(r),
    r.sweep && sweepTable(r.sweep),
    r.baseline && r.sweep && ratioLines(r.baseline, r.sweep),
    r.store && storeTable(r.store),
    r.shedding && sheddingTable(r.shedding),
    r.surge && surgeTable(r.surge),
    r.routing && latencyTable("Routing timing (one replica, production timer settings)", r.routing),
    r.roundTrips && roundTripsTable(r.roundTrips),
    r.deployed && deployedTables(r.deployed),
    r.redisMemory && memoryTable(r),
    r.profiles?.map(profileTable).join("\n"),
    r.warnings && r.warnings.count > 0
      ? `\n${r.warnings.count} warn/error log lines from the services: ${Object.entries(r.warnings.byMessage)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 8)
          .map(([msg, n]) => `${n} × "${msg}"`)
          .join(", ")}`
      : undefined,
  ];
  return parts.filter((p): p is string => typeof p === "string" && p !== "").join("\n");
}

function goalsTable(r: BenchResults): string {
  const rows = checkGoals(r).map(
    (g) =>
      `| ${g.goal} | ${g.target} | ${g.measured} | ${g.met === undefined ? "n/a" : g.met ? "met" : "not met"} |`,
  );
  return ["\nGoals", "| goal | target | measured | |", "|---|---|---:|---|", ...rows].join("\n");
}

function lifecycleTable(lc: LifecycleBenchResult, baselineCpu?: Record<number, CpuPerOperation>): string {
  const row = (run: LifecycleRun) => {
    const errors = Object.values(run.errors).reduce((a, b) => a + b, 0);
    const s = run.stages;
    return `| ${run.label} | ${run.completed} | ${errors} | ${f(run.completedPerSec, 0)} | ${lat(s.lifecycle)} | ${lat(s.start)} | ${lat(s.acceptToSubmit)} | ${lat(s.check)} |`;
  };
  const errors = [lc.closed, ...lc.open].flatMap((run) =>
    Object.entries(run.errors).map(([kind, n]) => `  ${run.label}: ${n} × ${kind}`),
  );
  return [
    "\nComplete lifecycles: start → route → submit_sm → receipt → check (SMS only, SMSC simulator over SMPP). Latencies p50 / p99 in ms",
    "| run | completed | errors | lifecycles/s | lifecycle | StartVerification | accept → submit_sm | CheckCode |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    row(lc.closed),
    ...lc.open.map(row),
    ...(errors.length > 0 ? ["errors:", ...errors] : []),
    cpuLines([
      ...[lc.closed, ...lc.open].map((run) => ({ what: `lifecycle (${run.label})`, cpu: run.cpu })),
      { what: `start, routed and sent (${lc.startOnly.offeredPerSec}/s)`, cpu: lc.startOnly.cpu },
      { what: `check (${lc.checkOnly.offeredPerSec}/s)`, cpu: lc.checkOnly.cpu },
      ...Object.entries(baselineCpu ?? {}).map(([rate, cpu]) => ({ what: `baseline call (${rate}/s)`, cpu })),
    ]),
  ].join("\n");
}

function cpuLines(rows: { what: string; cpu: CpuPerOperation | undefined }[]): string {
  const known = rows.filter((r) => r.cpu !== undefined);
  if (known.length === 0) return "";
  const ms = (v: number | undefined) => (v === undefined ? "n/a" : f(v, 2));
  return [
    "\nCPU per operation, ms (less sensitive to other users' load than latency)",
    "| operation | bench process | redis-server | Kafka broker |",
    "|---|---:|---:|---:|",
    ...known.map(
      (r) => `| ${r.what} | ${ms(r.cpu!.benchMs)} | ${ms(r.cpu!.redisMs)} | ${ms(r.cpu!.kafkaMs)} |`,
    ),
  ].join("\n");
}

function singleTable(r: BenchResults): string {
  const lc = r.lifecycle!;
  const rate = lc.startOnly.offeredPerSec;
  const base = r.baseline?.latency[rate];
  const rows = [
    summaryRow(`StartVerification alone, open loop ${rate}/s`, lc.startOnly.start),
    summaryRow(`  accept → submit_sm at the SMSC (same starts)`, lc.startOnly.acceptToSubmit),
    summaryRow(`CheckCode alone, open loop ${lc.checkOnly.offeredPerSec}/s`, lc.checkOnly.check),
    ...Object.entries(r.baseline?.latency ?? {}).map(([at, s]) =>
      summaryRow(`baseline: grpc-js unary + 1 ioredis SET + 1 kafkajs send acks=all, ${at}/s`, s),
    ),
  ];
  const ratio = base
    ? `\nStartVerification ÷ baseline at ${rate}/s: p50 × ${f(lc.startOnly.start.p50Ms / base.p50Ms)}, p99 × ${f(lc.startOnly.start.p99Ms / base.p99Ms)}`
    : "";
  return (
    [
      "\nSingle RPCs at a fixed arrival rate (latency from each call's due time), whole pipeline running",
      "| measure | calls | errors | per second | p50 ms | p99 ms | max ms |",
      "|---|---:|---:|---:|---:|---:|---:|",
      ...rows,
    ].join("\n") + ratio
  );
}

const summaryRow = (name: string, s: LatencySummary): string =>
  `| ${name} | ${s.count} | ${s.errors} | ${f(s.perSecond, 0)} | ${f(s.p50Ms, 2)} | ${f(s.p99Ms, 2)} | ${f(s.maxMs)} |`;

function latencyTable(title: string, rows: Record<string, LatencySummary>): string {
  return [
    `\n${title}`,
    "| measure | samples | p50 ms | p99 ms | max ms |",
    "|---|---:|---:|---:|---:|",
    ...Object.entries(rows).map(
      ([name, s]) => `| ${name} | ${s.count} | ${f(s.p50Ms)} | ${f(s.p99Ms)} | ${f(s.maxMs)} |`,
    ),
  ].join("\n");
}

function sweepTable(s: SweepResult): string {
  return [
    `\nCapacity sweep: StartVerification open loop, target p99 ≤ ${s.targetP99Ms} ms → highest rate within target: ${s.bestRate > 0 ? `${s.bestRate}/s` : "none"} (stopped: ${s.stoppedBecause})`,
    "| arrivals/s | answered/s | errors | p50 ms | p99 ms | within target |",
    "|---:|---:|---:|---:|---:|---|",
    ...s.steps.map(
      (st) =>
        `| ${st.offeredPerSec} | ${f(st.start.perSecond, 0)} | ${st.start.errors} | ${f(st.start.p50Ms, 2)} | ${f(st.start.p99Ms, 2)} | ${st.withinTarget ? "yes" : "no"} |`,
    ),
  ].join("\n");
}

function ratioLines(baseline: BaselineResult, sweep: SweepResult): string {
  const floor = Math.min(...Object.values(baseline.latency).map((b) => b.p50Ms));
  const lines = Object.entries(baseline.latency).flatMap(([rate, base]) => {
    const step = sweep.steps.find((st) => st.offeredPerSec === Number(rate));
    if (!step) return [];
    const p50 = step.start.p50Ms / base.p50Ms;
    const p99 = step.start.p99Ms / base.p99Ms;
    // One kafkajs send per call, without group commit, stops keeping up long before we do:
    // queueing shows as a p50 far above the baseline's own at its lowest rate.
    const saturated = base.perSecond < 0.95 * Number(rate) || base.p50Ms > 5 * floor;
    const note = saturated ? " (baseline saturated)" : "";
    return [`| ${rate}/s | ${lat(base)} | ${lat(step.start)} | × ${f(p50)} / × ${f(p99)}${note} |`];
  });
  if (lines.length === 0) return "";
  return [
    "\nStartVerification (sweep) against the baseline (grpc-js unary + 1 ioredis SET + 1 kafkajs send acks=all) at the same open-loop rate; p50 / p99 in ms",
    "| rate | baseline | StartVerification | ratio p50 / p99 |",
    "|---:|---:|---:|---:|",
    ...lines,
  ].join("\n");
}

function storeTable(rows: StoreBenchRow[]): string {
  return [
    "\nRedis store adapter: one small script (counterWindow) back to back",
    "| callers | calls | calls/s | CPU µs per call (of which system) |",
    "|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.callers} | ${r.calls} | ${f(r.callsPerSecond, 0)} | ${f(r.cpuMicros)} (${f(r.systemMicros)}) |`,
    ),
  ].join("\n");
}

function surgeTable(s: SurgeResult): string {
  const f = (v: number): string => v.toFixed(1);
  const row = (name: string, t: TenantFigures): string =>
    `| ${name} | ${f(t.offeredPerSec)} | ${f(t.acceptedPerSec)} | ${f(t.refusedPerSec)} | ` +
    `${f(t.accepted.p50Ms)} / ${f(t.accepted.p99Ms)} | ${t.refused.count === 0 ? "-" : `${f(t.refused.p50Ms)} / ${f(t.refused.p99Ms)}`} | ` +
    `${(t.refusalsWithRetryInfo * 100).toFixed(0)} % | ${f(t.timeToCode.p50Ms)} / ${f(t.timeToCode.p99Ms)} | ` +
    `${f(t.check.p50Ms)} / ${f(t.check.p99Ms)} | ${t.gaveUp} / ${t.lost} | ${t.taps} (${t.tapsReused} reused) |`;
  return [
    `\nSurge: capacity ${s.capacityPerSec.toFixed(0)} lifecycles/s (closed loop); the bench tenant ramps to ${s.peakOfferedPerSec.toFixed(0)}/s over ${s.rampSeconds} s and holds ${s.holdSeconds} s; duplicate sends ${s.duplicateSends}`,
    "| tenant (window) | offered/s | accepted/s | refused/s | accepted p50 / p99 ms | refused p50 / p99 ms | with RetryInfo | time to code p50 / p99 ms | CheckCode p50 / p99 ms | gave up / lost | taps |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    row("bench (hold at peak)", s.surge),
    row("calm, alone", s.calmBaseline),
    row("calm, beside the flood", s.calmUnderFlood),
    `issuance CPU per StartVerification answered: ${s.issuanceCpuMsPerStartCalm?.toFixed(3) ?? "n/a"} ms calm, ${s.issuanceCpuMsPerStartFlood?.toFixed(3) ?? "n/a"} ms during the flood (accepted and refused together)`,
  ].join("\n");
}

function sheddingTable(s: SheddingResult): string {
  return [
    `\nShedding: ISSUANCE_MAX_IN_FLIGHT ${s.maxInFlight}, flood ${s.offeredPerSec}/s (latency from sending each call)`,
    "| answer | calls | p50 ms | p99 ms | max ms |",
    "|---|---:|---:|---:|---:|",
    `| OTP_OVERLOADED | ${s.overloaded.count} | ${f(s.overloaded.p50Ms, 2)} | ${f(s.overloaded.p99Ms, 2)} | ${f(s.overloaded.maxMs)} |`,
    `| admitted | ${s.admitted.count} | ${f(s.admitted.p50Ms, 2)} | ${f(s.admitted.p99Ms, 2)} | ${f(s.admitted.maxMs)} |`,
    ...(s.otherErrors > 0 ? [`other errors: ${s.otherErrors}`] : []),
  ].join("\n");
}

function roundTripsTable(rt: RoundTripsResult): string {
  const total: Record<string, number> = {};
  for (const w of Object.values(rt.redis)) {
    for (const [name, n] of Object.entries(w.byName)) total[name] = (total[name] ?? 0) + n;
  }
  const list = (byName: Record<string, number>) =>
    Object.entries(byName)
      .sort((a, b) => b[1] - a[1])
      .map(([name, n]) => `${name} ${f(n)}`)
      .join(", ");
  const sum = (byName: Record<string, number>) => Object.values(byName).reduce((a, n) => a + n, 0);
  const lines = [
    `\nRedis round trips per verification (${rt.lifecycles} lifecycles one at a time, Redis MONITOR)`,
    `- in all: ${f(sum(total))} (${list(total)})`,
  ];
  for (const [window, w] of Object.entries(rt.redis)) {
    // Background work of the same verification (projector, routing) can overlap a call.
    lines.push(
      `- while the ${window === "background" ? "calls were not running" : `${window} call ran`}: ${f(sum(w.byName))} (${list(w.byName)})`,
    );
  }
  lines.push(
    `- commands run inside those scripts (no round trip of their own): ${f(rt.commandsInsideScripts)}`,
  );
  const events = Object.entries(rt.bus.byEvent)
    .map(([name, n]) => `${name} ${f(n)}`)
    .join(", ");
  lines.push(
    `- bus: ${f(rt.bus.publishCalls)} acks=all publishes, ${f(rt.bus.messages)} events (${events}), ${f(rt.bus.consumed)} deliveries to consumers`,
  );
  return lines.join("\n");
}

function memoryTable(r: BenchResults): string {
  const m = r.redisMemory!;
  const lines = [
    `\nMemory`,
    `- Redis per pending verification (${m.verifications} started, sent, not checked): ${m.bytesPerVerification} bytes, ${m.keysPerVerification} keys (used_memory ${f(m.usedMemoryBeforeMiB)} → ${f(m.usedMemoryAfterMiB)} MiB)`,
    ...m.byKind.map(
      (k) =>
        `  - ${k.kind}: ${f(k.keysPerVerification)} per verification × ${k.bytesPerKey} bytes (${k.encoding})`,
    ),
  ];
  for (const p of r.processes ?? []) {
    const peak = p.peakRssMiB === undefined ? "n/a" : `${f(p.peakRssMiB, 0)} MiB`;
    lines.push(`- peak RSS (VmHWM) ${p.name}${p.pid === undefined ? "" : ` (pid ${p.pid})`}: ${peak}`);
  }
  return lines.join("\n");
}

function profileTable(p: ProfileSummary): string {
  return [
    `\nCPU profile "${p.name}" (${f(p.seconds)} s, ${p.file}): self time by area`,
    p.byArea
      .slice(0, 12)
      .map((a) => `${a.area} ${f(a.percent)} %`)
      .join(", "),
    "| self % | function | where |",
    "|---:|---|---|",
    ...p.topFunctions.map((t) => `| ${f(t.percent)} | ${t.fn} | ${t.where} |`),
  ].join("\n");
}
