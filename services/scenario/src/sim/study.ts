/**
 * Detection latency over many seeds, on the simulated clock: the shipped blackout scenario's
 * users, strategy B and its health detector, in a district of a given rate whose WhatsApp
 * collapses to a given delivery at the cut (and stays there); and a normal hour at 3/min in four
 * districts for false shifts. One run says little about a detector: these give distributions.
 *
 *   npm run -s scenario -- detection-study [--seeds 10] [--json]
 */
import type { ScenarioFile } from "../scenario-file";
import { simStrategies, simulatedPopulation, simulateStrategy } from "./simulate";

const CUT_SECOND = 1200;

export interface CollapseCase {
  perMinute: number;
  /** WhatsApp delivery after the cut (users' traits come on top). */
  delivery: number;
}

export interface CollapseResult extends CollapseCase {
  seed: number;
  /** Seconds from the cut to WhatsApp judged down (null: not within the run). */
  detectionSeconds: number | null;
  /**
   * Seconds from the cut to the first reaction: a WhatsApp step hastened (the evidence leaning
   * half-way to a collapse) or WhatsApp judged down, whichever came first.
   */
  firstReactionSeconds: number | null;
  /** WhatsApp state changes from the cut to the end of the run (of a known state). */
  stateChanges: number;
  /** Judged down before the cut. */
  falseBeforeCut: number;
}

/** A one-district scenario from a template: normal until the cut, then WhatsApp at `delivery`. */
function collapseScenario(
  template: ScenarioFile,
  c: CollapseCase,
  seed: number,
  afterCutSeconds = 600,
): ScenarioFile {
  const district = { name: "ID-X", prefix: "6281999", population: 1, affected: true };
  const normal = template.phases[0]!;
  return {
    ...template,
    seed,
    districts: [district],
    arrivals: { ...template.arrivals, perDistrict: { "ID-X": [{ atSecond: 0, perMinute: c.perMinute }] } },
    simulatedSeconds: CUT_SECOND + afterCutSeconds,
    phases: [
      normal,
      {
        name: "collapse",
        atSecond: CUT_SECOND,
        network: { ...normal.network, "ID-X": { ...normal.network["*"], whatsappDelivery: c.delivery } },
      },
    ],
  };
}

/** Four untouched districts at `perMinute` (3: quiet, 30: busy) for `seconds`. */
function normalScenario(template: ScenarioFile, seed: number, seconds = 3600, perMinute = 3): ScenarioFile {
  const names = ["ID-N1", "ID-N2", "ID-N3", "ID-N4"];
  return {
    ...template,
    seed,
    districts: names.map((name, i) => ({ name, prefix: `628199${i}`, population: 1, affected: false })),
    arrivals: {
      ...template.arrivals,
      perDistrict: Object.fromEntries(names.map((n) => [n, [{ atSecond: 0, perMinute }]])),
    },
    simulatedSeconds: seconds,
    phases: [template.phases[0]!],
  };
}

/** The adaptive strategy the study measures: the one the oracle runs (`oracleOf`, default the last). */
export function studiedStrategy(s: ScenarioFile) {
  const strategies = simStrategies(s);
  const oracle = strategies.find((x) => x.oracle)!;
  return strategies.find((x) => !x.oracle && x.strategy === oracle.strategy)!;
}

export function runCollapse(template: ScenarioFile, c: CollapseCase, seed: number): CollapseResult {
  const s = collapseScenario(template, c, seed);
  const run = simulateStrategy(s, studiedStrategy(s), simulatedPopulation(s));
  const wa = run.changes.filter((x) => x.channel === "whatsapp");
  const down = wa.find((x) => x.to === "down" && x.at >= CUT_SECOND * 1000);
  const hastened = run.hastened.find((h) => h.channel === "whatsapp" && h.at >= CUT_SECOND * 1000);
  const first = Math.min(down?.at ?? Infinity, hastened?.at ?? Infinity);
  return {
    ...c,
    seed,
    detectionSeconds: down ? (down.at - CUT_SECOND * 1000) / 1000 : null,
    firstReactionSeconds: Number.isFinite(first) ? Math.round((first - CUT_SECOND * 1000) / 1000) : null,
    stateChanges: wa.filter((x) => x.at >= CUT_SECOND * 1000 && x.from !== "unknown").length,
    falseBeforeCut: wa.filter((x) => x.to === "down" && x.at < CUT_SECOND * 1000).length,
  };
}

export interface NormalResult {
  /** WhatsApp "down" judgements (every one is a false shift). */
  falseShifts: number;
  /** Share of dispatches whose wait was hastened: the first reaction's cost in normal times. */
  hastenedShare: number;
}

/** A normal hour in four districts at `perMinute` each. */
export function runNormal(template: ScenarioFile, seed: number, seconds = 3600, perMinute = 3): NormalResult {
  const s = normalScenario(template, seed, seconds, perMinute);
  const run = simulateStrategy(s, studiedStrategy(s), simulatedPopulation(s));
  return {
    falseShifts: run.changes.filter((x) => x.channel === "whatsapp" && x.to === "down").length,
    hastenedShare: run.dispatches > 0 ? run.hastened.length / run.dispatches : 0,
  };
}

const STUDY_CASES: CollapseCase[] = [
  { perMinute: 3, delivery: 0.4 },
  { perMinute: 3, delivery: 0 },
  { perMinute: 30, delivery: 0.4 },
  { perMinute: 30, delivery: 0 },
];

export interface StudyReport {
  seeds: number[];
  cases: (CollapseCase & {
    goalSeconds: number;
    latencies: (number | null)[];
    median: number | null;
    p90: number | null;
    withinGoal: number;
    firstReactions: (number | null)[];
    firstReactionMedian: number | null;
    firstReactionWithinGoal: number;
    maxStateChanges: number;
    falseBeforeCut: number;
  })[];
  /** Per seed: false shifts in a normal hour, four districts at 3/min. */
  normalHourFalseShifts: number[];
  /** Per seed: share of dispatches hastened in that hour. */
  normalHourHastenedShare: number[];
  /** The same for a busy normal hour, four districts at 30/min. */
  busyHourFalseShifts: number[];
  busyHourHastenedShare: number[];
}

const quantile = (xs: (number | null)[], q: number): number | null => {
  const sorted = xs.map((x) => x ?? Infinity).sort((a, b) => a - b);
  const v = sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return v === undefined || v === Infinity ? null : v;
};

export function detectionStudy(template: ScenarioFile, seeds: number[]): StudyReport {
  const cases = STUDY_CASES.map((c) => {
    const results = seeds.map((seed) => runCollapse(template, c, seed));
    const latencies = results.map((r) => r.detectionSeconds);
    const firstReactions = results.map((r) => r.firstReactionSeconds);
    const goalSeconds = c.perMinute >= 30 ? 30 : 90;
    const within = (xs: (number | null)[]) => xs.filter((l) => l !== null && l <= goalSeconds).length;
    return {
      ...c,
      goalSeconds,
      latencies,
      median: quantile(latencies, 0.5),
      p90: quantile(latencies, 0.9),
      withinGoal: within(latencies),
      firstReactions,
      firstReactionMedian: quantile(firstReactions, 0.5),
      firstReactionWithinGoal: within(firstReactions),
      maxStateChanges: Math.max(...results.map((r) => r.stateChanges)),
      falseBeforeCut: results.reduce((a, r) => a + r.falseBeforeCut, 0),
    };
  });
  const normal = seeds.map((seed) => runNormal(template, seed));
  const busy = seeds.map((seed) => runNormal(template, seed, 3600, 30));
  const share = (n: NormalResult) => Math.round(n.hastenedShare * 1000) / 1000;
  return {
    seeds,
    cases,
    normalHourFalseShifts: normal.map((n) => n.falseShifts),
    normalHourHastenedShare: normal.map(share),
    busyHourFalseShifts: busy.map((n) => n.falseShifts),
    busyHourHastenedShare: busy.map(share),
  };
}

export function formatStudy(r: StudyReport): string {
  const lines = [`detection study, ${r.seeds.length} seeds (${r.seeds[0]}…), cut at ${CUT_SECOND} s`];
  for (const c of r.cases) {
    lines.push(
      `  ${String(c.perMinute).padStart(2)}/min, WhatsApp → ${Math.round(c.delivery * 100)} %: ` +
        `median ${c.median ?? "—"} s, p90 ${c.p90 ?? "—"} s, within ${c.goalSeconds} s ${c.withinGoal}/${c.latencies.length}; ` +
        `state changes ≤ ${c.maxStateChanges}; down before the cut ${c.falseBeforeCut}; ` +
        `[${c.latencies.map((l) => l ?? "—").join(" ")}]`,
      `           first reaction (hastened wait or down): median ${c.firstReactionMedian ?? "—"} s, ` +
        `within ${c.goalSeconds} s ${c.firstReactionWithinGoal}/${c.firstReactions.length} ` +
        `[${c.firstReactions.map((l) => l ?? "—").join(" ")}]`,
    );
  }
  const hour = (what: string, shifts: number[], hastened: number[]) =>
    `  ${what}: false shifts ${shifts.join(" ")} (total ${shifts.reduce((a, b) => a + b, 0)}); ` +
    `dispatches hastened ${hastened.map((x) => `${(x * 100).toFixed(1)}%`).join(" ")}`;
  lines.push(
    hour("normal hour, 4 districts at 3/min", r.normalHourFalseShifts, r.normalHourHastenedShare),
    hour("busy normal hour, 4 districts at 30/min", r.busyHourFalseShifts, r.busyHourHastenedShare),
  );
  return lines.join("\n");
}
