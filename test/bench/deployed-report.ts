/** The deployed phase's tables: runs, CPU per process, Kafka requests and Redis commands, takeover. */
import { ALL_PROCESSES } from "./deployed-measures";
import type { DeployedResult, DeployedRun } from "./deployed.bench";

const f = (n: number | undefined, digits = 1): string => (n === undefined ? "n/a" : n.toFixed(digits));

export function deployedTables(d: DeployedResult): string {
  return [runsTable(d), cpuTable(d.runs), requestsTable(d), takeoverLines(d), warningLine(d)]
    .filter((part) => part !== "")
    .join("\n");
}

function runsTable(d: DeployedResult): string {
  const lat = (s: { p50Ms: number; p99Ms: number }) => `${f(s.p50Ms)} / ${f(s.p99Ms)}`;
  const row = (r: DeployedRun) => {
    const errors = Object.values(r.errors).reduce((a, b) => a + b, 0);
    const s = r.stages;
    return `| ${r.label} | ${r.completed} | ${errors} | ${f(r.completedPerSec, 0)} | ${lat(s.lifecycle)} | ${lat(s.start)} | ${lat(s.acceptToSubmit)} | ${lat(s.check)} | ${r.sentTwice} |`;
  };
  const errors = d.runs.flatMap((r) =>
    Object.entries(r.errors).map(([kind, n]) => `  ${r.label}: ${n} × ${kind}`),
  );
  return [
    "\nDeployed: issuance, verification, routing, gateway-smpp, SMSC simulator and load generator in separate processes (mTLS gRPC, Kafka, Redis, SMPP). Latencies p50 / p99 in ms",
    `processes: ${d.processes.map((p) => `${p.name} (pid ${p.pid ?? "n/a"})`).join(", ")}`,
    "| run | completed | errors | lifecycles/s | lifecycle | StartVerification | accept → submit_sm | CheckCode | sent twice |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...d.runs.map(row),
    ...(errors.length > 0 ? ["errors:", ...errors] : []),
    ...d.runs.filter((r) => !r.drained).map((r) => `note: ${r.label} had not drained when its CPU was read`),
  ].join("\n");
}

function cpuTable(runs: DeployedRun[]): string {
  return [
    "\n(deployed) CPU ms per complete lifecycle, per process (pipeline drained before the second reading)",
    `| run | ${ALL_PROCESSES.join(" | ")} | platform (services + Kafka + Redis) | all |`,
    `|---|${ALL_PROCESSES.map(() => "---:").join("|")}|---:|---:|`,
    ...runs.map((r) => {
      const p = r.perLifecycle;
      return `| ${r.label} | ${ALL_PROCESSES.map((name) => f(p.cpuMs[name], 3)).join(" | ")} | ${f(p.platformCpuMs, 3)} | ${f(p.totalCpuMs, 3)} |`;
    }),
  ].join("\n");
}

function requestsTable(d: DeployedResult): string {
  const rt = d.redisRoundTrips;
  const top = (byName: Record<string, number>) =>
    Object.entries(byName)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([name, n]) => `${name} ${f(n, 2)}`)
      .join(", ");
  return [
    "\n(deployed) Requests per complete lifecycle",
    "| run | Kafka Produce | Kafka Fetch | Kafka, all APIs | Redis commands (incl. inside scripts) | Redis script calls |",
    "|---|---:|---:|---:|---:|---:|",
    ...d.runs.map((r) => {
      const p = r.perLifecycle;
      return `| ${r.label} | ${f(p.kafkaProduce, 2)} | ${f(p.kafkaFetch, 2)} | ${f(p.kafkaAll, 2)} | ${f(p.redisCommands, 2)} | ${f(p.redisScriptCalls, 2)} |`;
    }),
    ...d.runs
      .slice(-1)
      .flatMap((r) => [
        `- Kafka requests by API (${r.label}): ${top(r.perLifecycle.kafkaRequests)}`,
        ...Object.entries(r.perLifecycle.kafkaRequestsByProcess).map(
          ([name, counts]) => `  - ${name}: ${top(counts)}`,
        ),
      ]),
    `- Redis round trips (MONITOR, ${rt.lifecycles} lifecycles at ${d.summary.latencyRatePerSec}/s): ${f(rt.perLifecycle, 2)} per lifecycle (${top(rt.byCommand)})`,
  ].join("\n");
}

function takeoverLines(d: DeployedResult): string {
  const t = d.takeover;
  return [
    `\n(deployed) Takeover: 2 routing replicas, ${t.offeredPerSec} lifecycles/s for ${f(t.seconds)} s, one SIGKILLed at ${f(t.killedAtSec)} s (ROUTING_SESSION_TIMEOUT_MS=${d.routingSessionTimeoutMs} for the bench; the default is 6000)`,
    `- its partitions ${t.partitions.join(", ") || "none seen"} served again by the survivor after ${t.takeoverMs === undefined ? "n/a (not all)" : `${f(t.takeoverMs / 1000, 2)} s`}; longest restore ${f(t.restoreMsMax, 0)} ms`,
    `- accepted starts ${t.accepted}, completed ${t.completed}, lost ${t.lost}; phones with two SMS ${t.sentTwice}; lifecycle p50 / p99 ${f(t.stages.lifecycle.p50Ms)} / ${f(t.stages.lifecycle.p99Ms)} ms`,
    ...Object.entries(t.errors).map(([kind, n]) => `  ${n} × ${kind}`),
  ].join("\n");
}

function warningLine(d: DeployedResult): string {
  if (d.warnings.count === 0) return "";
  const top = Object.entries(d.warnings.byMessage)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([msg, n]) => `${n} × "${msg}"`)
    .join(", ");
  return `\n(deployed) ${d.warnings.count} warn/error log lines from the processes: ${top}`;
}
