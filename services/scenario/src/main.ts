/**
 * `npm run scenario -- <name|file.json> [--json] [--scale 0.1] [--size 1]`: replays a scenario
 * against the real services and the simulators and prints the report. `--scale` is wall seconds
 * per scenario second (0.1 runs ten times faster); `--size` multiplies the population.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { flag, option, parseArgs } from "@services/cli/src/args";
import { formatLoadTable, formatSilentTable, formatTable } from "./report";
import { runScenario, type ScenarioReport } from "./runner";
import { loadScenario } from "./scenario-file";
import { runSimulated } from "./sim/run-simulated";
import { detectionStudy, formatStudy } from "./sim/study";
import { formatSimReport, timelineSvg } from "./sim/sim-report";

function positiveNumber(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
}

function formatReport(r: ScenarioReport): string {
  const currency = "USD";
  const lines = [
    `scenario ${r.scenario}: ${r.description}`,
    `${r.users} virtual users per strategy; time compressed ×${(1 / r.scale).toFixed(1)} (scale ${r.scale}); ran ${r.wallSeconds} s`,
    "",
    ...r.strategies.map((s) => `  ${s.id}: ${s.label}`),
    "",
    formatTable(r.rows, currency),
    "",
    formatLoadTable(r.rows),
    "",
    ...(formatSilentTable(r.rows, currency) === ""
      ? []
      : [
          formatSilentTable(r.rows, currency),
          "(silent: apps on mobile data that opened the network URL; SMS saved: an SMS price per user verified silently)",
          "",
        ]),
    "times are scenario seconds (wall time ÷ scale), from the user's first tap to VERIFIED.",
    "fallback: verifications that used more than one channel; sends: attempts the provider accepted.",
    "starts: StartVerification calls (first taps, impatient taps, retries after a refusal); reused: answered",
    "with the active verification, nothing sent; taps: impatient taps, dup avoided: those that sent nothing;",
    "shed: OTP_OVERLOADED; limited: OTP_RATE_LIMITED (tenant rate, resend cooldown); retry-info: refusals",
    "that said when to retry; latencies are wall milliseconds at the client.",
    "time compression per strategy:",
    ...Object.entries(r.timeNotes).flatMap(([id, notes]) => notes.map((n) => `  ${id}: ${n}`)),
  ];
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const name = args.positionals[0];
  if (name === undefined || flag(args, "help")) {
    process.stderr.write(
      "usage: npm run scenario -- <blackout|surge|file.json> [--json] [--scale 0.1] [--size 1]\n" +
        "       npm run scenario -- <name|file.json> --simulated [--json] [--size 1] [--out dir]\n" +
        "       npm run scenario -- <name|file.json> --study [--seeds 10] [--json]\n",
    );
    return name === undefined ? 2 : 0;
  }
  const scenario = loadScenario(name);
  const json = flag(args, "json");
  if (flag(args, "study")) {
    const count = positiveNumber(option(args, "seeds"), "seeds") ?? 10;
    const seeds = Array.from({ length: Math.round(count) }, (_, i) => scenario.seed + i);
    const report = detectionStudy(scenario, seeds);
    process.stdout.write(`${json ? JSON.stringify(report, null, 2) : formatStudy(report)}\n`);
    return 0;
  }
  if (flag(args, "simulated")) {
    const report = runSimulated(scenario, positiveNumber(option(args, "size"), "size") ?? 1);
    const dir = resolve(option(args, "out") ?? "scenario-results");
    mkdirSync(dir, { recursive: true });
    const base = join(dir, `${scenario.name}-simulated`);
    writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(`${base}.svg`, timelineSvg(report));
    process.stdout.write(`${json ? JSON.stringify(report, null, 2) : formatSimReport(report)}\n`);
    process.stderr.write(`wrote ${base}.json and ${base}.svg\n`);
    return 0;
  }
  const report = await runScenario(scenario, {
    scale: positiveNumber(option(args, "scale"), "scale") ?? scenario.defaultScale,
    sizeFactor: positiveNumber(option(args, "size"), "size") ?? 1,
    progress: json ? undefined : (m) => process.stderr.write(`${m}\n`),
  });
  process.stdout.write(`${json ? JSON.stringify(report, null, 2) : formatReport(report)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
