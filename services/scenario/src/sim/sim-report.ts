/**
 * The simulated run's report: per phase and district, for each strategy and the oracle, success
 * within 30/60/120 s, sends per verified user, and what routing did about WhatsApp: detection
 * latency, state changes per outage, false shifts where nothing happened; success over time
 * per district as an SVG chart and terminal sparklines.
 */
import type { ScenarioFile } from "../scenario-file";
import { trulyDown } from "./sim-health";
import type { StrategyRun } from "./simulate";

export interface PhaseRow {
  strategy: string;
  phase: string;
  district: string;
  users: number;
  within30: number;
  within60: number;
  within120: number;
  sendsPerVerified: number;
}

export interface DetectionRow {
  strategy: string;
  district: string;
  /** Seconds from WhatsApp truly going down to routing judging it down (null: never). */
  detectionSeconds: number | null;
  /** Seconds from it truly coming back to routing judging it up again (null: never, or never down). */
  recoverySeconds: number | null;
  /** WhatsApp state changes from the outage's start to the end of the run. */
  stateChanges: number;
}

export interface SimReport {
  scenario: string;
  seed: number;
  simulatedSeconds: number;
  strategies: { id: string; label: string }[];
  phases: PhaseRow[];
  detection: DetectionRow[];
  /** Per strategy: WhatsApp judged down in districts where it never truly was. */
  falseShifts: Record<string, number>;
  /** Per strategy and district: success within 60 s of users arriving in each bin. */
  timeline: { binSeconds: number; series: Record<string, Record<string, (number | null)[]>> };
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Seconds at which WhatsApp truly goes down and comes back in a district (one outage per pair). */
function outages(
  s: ScenarioFile,
  district: string,
  endSeconds: number,
): { from: number; to: number | null }[] {
  const out: { from: number; to: number | null }[] = [];
  for (let t = 0; t <= endSeconds; t++) {
    const down = trulyDown(s, district, "whatsapp", t);
    const open = out.at(-1);
    if (down && (!open || open.to !== null)) out.push({ from: t, to: null });
    if (!down && open && open.to === null) open.to = t;
  }
  return out;
}

export function buildReport(
  s: ScenarioFile,
  runs: StrategyRun[],
  endSeconds: number,
  binSeconds = 30,
): SimReport {
  const phases: PhaseRow[] = [];
  const phaseOf = (ms: number) => s.phases.findLast((p) => p.atSecond * 1000 <= ms) ?? s.phases[0]!;
  for (const run of runs)
    for (const phase of s.phases)
      for (const district of [...s.districts.map((d) => d.name), "all"]) {
        const list = run.outcomes.filter(
          (o) => phaseOf(o.user.arrivalMs) === phase && (district === "all" || o.user.district === district),
        );
        if (list.length === 0) continue;
        const within = (sec: number) =>
          round(
            list.filter((o) => o.verifiedAt !== undefined && o.verifiedAt - o.user.arrivalMs <= sec * 1000)
              .length / list.length,
          );
        const verified = list.filter((o) => o.verifiedAt !== undefined).length;
        phases.push({
          strategy: run.id,
          phase: phase.name,
          district,
          users: list.length,
          within30: within(30),
          within60: within(60),
          within120: within(120),
          sendsPerVerified: verified ? round(list.reduce((a, o) => a + o.sends, 0) / verified, 2) : 0,
        });
      }
  const detection: DetectionRow[] = [];
  const falseShifts: Record<string, number> = {};
  for (const run of runs) {
    falseShifts[run.id] = 0;
    for (const d of s.districts) {
      const changes = run.changes.filter((c) => c.district === d.name && c.channel === "whatsapp");
      const hit = outages(s, d.name, endSeconds);
      if (hit.length === 0) {
        falseShifts[run.id]! += changes.filter((c) => c.to === "down").length;
        continue;
      }
      for (const o of hit) {
        const from = o.from * 1000;
        const wentDown = changes.find((c) => c.to === "down" && c.at >= from);
        const back =
          o.to === null ? undefined : changes.find((c) => c.from === "down" && c.at >= o.to! * 1000);
        detection.push({
          strategy: run.id,
          district: d.name,
          detectionSeconds: wentDown ? (wentDown.at - from) / 1000 : null,
          recoverySeconds: back && o.to !== null ? (back.at - o.to * 1000) / 1000 : null,
          stateChanges: changes.filter((c) => c.at >= from && c.from !== "unknown").length,
        });
      }
    }
  }
  const bins = Math.ceil(endSeconds / binSeconds);
  const series: SimReport["timeline"]["series"] = {};
  for (const run of runs) {
    series[run.id] = {};
    for (const d of s.districts) {
      series[run.id]![d.name] = Array.from({ length: bins }, (_, i) => {
        const list = run.outcomes.filter(
          (o) => o.user.district === d.name && Math.floor(o.user.arrivalMs / 1000 / binSeconds) === i,
        );
        if (list.length === 0) return null;
        return round(
          list.filter((o) => o.verifiedAt !== undefined && o.verifiedAt - o.user.arrivalMs <= 60_000).length /
            list.length,
        );
      });
    }
  }
  return {
    scenario: s.name,
    seed: s.seed,
    simulatedSeconds: endSeconds,
    strategies: runs.map((r) => ({ id: r.id, label: r.label })),
    phases,
    detection,
    falseShifts,
    timeline: { binSeconds, series },
  };
}

const BARS = "▁▂▃▄▅▆▇█";

function sparkline(values: (number | null)[]): string {
  return values.map((v) => (v === null ? " " : BARS[Math.min(7, Math.floor(v * 8))]!)).join("");
}

const pct = (x: number) => `${(x * 100).toFixed(0)}%`.padStart(5);

export function formatSimReport(r: SimReport): string {
  const lines = [
    `scenario ${r.scenario} on a simulated clock: ${r.simulatedSeconds} s simulated, seed ${r.seed}`,
    ...r.strategies.map((s) => `  ${s.id}: ${s.label}`),
    "",
    "phase / district                      strategy  users  ≤30s  ≤60s ≤120s  sends/verified",
    ...r.phases.map(
      (p) =>
        `${`${p.phase} / ${p.district}`.padEnd(38).slice(0, 38)}${p.strategy.padEnd(9)}${String(p.users).padStart(6)}${pct(p.within30)} ${pct(p.within60)} ${pct(p.within120)}  ${p.sendsPerVerified.toFixed(2)}`,
    ),
    "",
    "WhatsApp outages: detection (s after it truly went down), recovery (s after it truly came back), state changes",
    ...r.detection.map(
      (d) =>
        `  ${d.strategy.padEnd(7)} ${d.district.padEnd(12)} detected ${d.detectionSeconds ?? "never"}  back ${d.recoverySeconds ?? "-"}  changes ${d.stateChanges}`,
    ),
    `false shifts in untouched districts: ${Object.entries(r.falseShifts)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
    "",
    `success within 60 s over time (${r.timeline.binSeconds} s bins):`,
    ...Object.entries(r.timeline.series).flatMap(([strategy, byDistrict]) =>
      Object.entries(byDistrict).map(([d, v]) => `  ${strategy.padEnd(7)} ${d.padEnd(12)} ${sparkline(v)}`),
    ),
  ];
  return lines.join("\n");
}

const COLOURS: Record<string, string> = { A: "#d62728", B: "#1f77b4", oracle: "#2ca02c" };

/** Small multiples: one panel per district, one line per strategy. */
export function timelineSvg(r: SimReport): string {
  const districts = Object.keys(Object.values(r.timeline.series)[0] ?? {});
  const w = 460;
  const h = 140;
  const pad = 30;
  const panels = districts.map((d, i) => {
    const y0 = i * (h + 20);
    const lines = Object.entries(r.timeline.series).map(([strategy, byDistrict], k) => {
      const v = byDistrict[d] ?? [];
      const pts = v
        .map((x, j) =>
          x === null
            ? null
            : `${pad + (j / Math.max(1, v.length - 1)) * (w - 2 * pad)},${y0 + h - pad / 2 - x * (h - pad)}`,
        )
        .filter((p): p is string => p !== null)
        .join(" ");
      const colour = COLOURS[strategy] ?? ["#9467bd", "#8c564b", "#e377c2"][k % 3];
      return `<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${pts}"/>`;
    });
    return [
      `<text x="${pad}" y="${y0 + 12}" font-size="11">${d}: success within 60 s</text>`,
      `<line x1="${pad}" y1="${y0 + h - pad / 2}" x2="${w - pad}" y2="${y0 + h - pad / 2}" stroke="#999"/>`,
      ...lines,
    ].join("\n");
  });
  const legend = Object.keys(r.timeline.series)
    .map(
      (s, k) =>
        `<text x="${pad + k * 80}" y="${districts.length * (h + 20) + 12}" font-size="11" fill="${COLOURS[s] ?? "#333"}">${s}</text>`,
    )
    .join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${districts.length * (h + 20) + 20}" font-family="sans-serif">\n${panels.join("\n")}\n${legend}\n</svg>\n`;
}
