/** The whole scenario on the simulated clock: every strategy and the oracle against one population. */
import type { ScenarioFile } from "../scenario-file";
import { buildReport, type SimReport } from "./sim-report";
import { simStrategies, simulatedPopulation, simulatedSeconds, simulateStrategy } from "./simulate";

export function runSimulated(s: ScenarioFile, sizeFactor = 1): SimReport {
  const users = simulatedPopulation(s, sizeFactor);
  const runs = simStrategies(s).map((strategy) => simulateStrategy(s, strategy, users));
  return buildReport(s, runs, simulatedSeconds(s));
}
