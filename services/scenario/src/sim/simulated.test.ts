/**
 * The blackout goals on the shipped scenario, simulated (seeded, an hour in seconds): the busy
 * district acted on within 30 s, at most two WhatsApp state changes per dark district, no false
 * shift in untouched districts, B within 3 points of the oracle during the cut; and the file's
 * validation names the field.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { checkScenario, loadScenario } from "../scenario-file";
import { runSimulated } from "./run-simulated";
import { runCollapse, runNormal, studiedStrategy } from "./study";

const scenario = loadScenario("blackout-districts");
const report = runSimulated(scenario);
const row = (strategy: string, phase: string, district: string) =>
  report.phases.find((p) => p.strategy === strategy && p.phase === phase && p.district === district)!;

it("the busy district (30/min) is acted on within 30 s; the quiet one is acted on, and both come back", () => {
  const busy = report.detection.find((d) => d.strategy === "B" && d.district === "ID-JK-JKT")!;
  assert.ok(busy.detectionSeconds !== null && busy.detectionSeconds <= 30, JSON.stringify(busy));
  const quiet = report.detection.find((d) => d.strategy === "B" && d.district === "ID-JK-JKS")!;
  assert.ok(quiet.detectionSeconds !== null, JSON.stringify(quiet));
  // Probes scale with a quiet district's traffic, so its recovery is seen too.
  for (const d of [busy, quiet])
    assert.ok(d.recoverySeconds !== null && d.recoverySeconds <= 300, JSON.stringify(d));
});

const SEEDS = [0, 1, 2, 3, 4].map((i) => scenario.seed + i);
const median = (xs: (number | null)[]) => xs.map((x) => x ?? Infinity).sort((a, b) => a - b)[2]!;

const within = (seconds: number | null, limit: number) => seconds !== null && seconds <= limit;

it("a district of 30/min: a blackout is reacted to within 30 s and judged down within 60 s on every seed; a collapse to 40 % reacted to within 60 s, down within 90 s", () => {
  const blackout = SEEDS.map((seed) => runCollapse(scenario, { perMinute: 30, delivery: 0 }, seed));
  const collapse = SEEDS.map((seed) => runCollapse(scenario, { perMinute: 30, delivery: 0.4 }, seed));
  for (const r of blackout)
    assert.ok(within(r.firstReactionSeconds, 30) && within(r.detectionSeconds, 60), JSON.stringify(r));
  for (const r of collapse)
    assert.ok(within(r.firstReactionSeconds, 60) && within(r.detectionSeconds, 90), JSON.stringify(r));
  for (const r of [...blackout, ...collapse]) assert.ok(r.stateChanges <= 2 && r.falseBeforeCut === 0);
});

it("a district of 3/min: a blackout is judged down within 90 s (median of five seeds); a collapse to 40 % reacted to within 90 s (median), down within 5 min", () => {
  const blackout = SEEDS.map((seed) => runCollapse(scenario, { perMinute: 3, delivery: 0 }, seed));
  const collapse = SEEDS.map((seed) => runCollapse(scenario, { perMinute: 3, delivery: 0.4 }, seed));
  assert.ok(median(blackout.map((r) => r.detectionSeconds)) <= 90, JSON.stringify(blackout));
  assert.ok(median(collapse.map((r) => r.firstReactionSeconds)) <= 90, JSON.stringify(collapse));
  for (const r of collapse) assert.ok(within(r.detectionSeconds, 300), JSON.stringify(r));
  for (const r of [...blackout, ...collapse]) assert.ok(r.stateChanges <= 2 && r.falseBeforeCut === 0);
});

it("a normal hour at 3/min in four districts, on each of five seeds: no false shift, few hastened waits", () => {
  for (const seed of SEEDS) {
    const normal = runNormal(scenario, seed);
    assert.equal(normal.falseShifts, 0, `seed ${seed}`);
    assert.ok(normal.hastenedShare < 0.05, `seed ${seed}: ${normal.hastenedShare}`);
  }
});

it("a busy normal hour at 30/min in four districts, on each of five seeds: no false shift, few hastened waits", () => {
  for (const seed of SEEDS) {
    const busy = runNormal(scenario, seed, 3600, 30);
    assert.equal(busy.falseShifts, 0, `seed ${seed}`);
    assert.ok(busy.hastenedShare < 0.05, `seed ${seed}: ${busy.hastenedShare}`);
  }
});

it("at most two WhatsApp state changes per dark district per outage; none in untouched ones", () => {
  for (const d of report.detection.filter((x) => x.strategy === "B"))
    assert.ok(d.stateChanges <= 2, JSON.stringify(d));
  assert.equal(report.falseShifts.B, 0);
});

it("B is within 3 points of the oracle in the dark districts during the cut; A is beside both", () => {
  for (const district of ["ID-JK-JKS", "ID-JK-JKT"]) {
    const b = row("B", "power cut", district).within60;
    const oracle = row("oracle", "power cut", district).within60;
    assert.ok(oracle - b <= 0.03, `${district}: B ${b}, oracle ${oracle}`);
    assert.ok(row("A", "power cut", district).within60 < b);
  }
});

it("the study measures the strategy the oracle runs: oracleOf, or the last strategy", () => {
  assert.equal(studiedStrategy(scenario).id, "B");
  const { oracleOf: _, ...unnamed } = scenario;
  assert.equal(studiedStrategy(unnamed).id, scenario.strategies.at(-1)!.id);
  assert.equal(studiedStrategy({ ...scenario, oracleOf: "A" }).id, "A");
});

it("the same seed gives the same report", () => {
  assert.deepEqual(runSimulated(scenario).detection, report.detection);
});

it("validation names the field", () => {
  const broken = structuredClone(scenario);
  broken.phases[1]!.network["ID-JK-JKS"]!.whatsappDelivery = 1.5;
  assert.throws(
    () => checkScenario(broken, "x"),
    /phases\[1\]\.network\.ID-JK-JKS\.whatsappDelivery must be in 0\.\.1/,
  );
  const delays = structuredClone(scenario);
  delays.phases[0]!.network["*"]!.delays = { sms: { p50: 10, p95: 5 } };
  assert.throws(() => checkScenario(delays, "x"), /phases\[0\]\.network\.\*\.delays\.sms\.p95 must be ≥/);
  const traits = structuredClone(scenario);
  traits.users.traits = { dataOffShare: -1 };
  assert.throws(() => checkScenario(traits, "x"), /users\.traits\.dataOffShare/);
  const arrivals = structuredClone(scenario);
  arrivals.arrivals.perDistrict = { "ID-NOPE": [] };
  assert.throws(() => checkScenario(arrivals, "x"), /arrivals\.perDistrict\.ID-NOPE/);
});
