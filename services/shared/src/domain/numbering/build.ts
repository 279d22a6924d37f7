/** Building a numbering plan from a JSON overlay over a base plan. Pure. */
import { Problems } from "../json/json-reader";
import { SHIPPED_PLAN_DATA } from "./data";
import { indexPlan, type NumberingPlan } from "./plan";
import { checkPlan } from "./plan-checks";
import { readPlanOverlay } from "./read-overlay";
import type { NumberingPlanData } from "./types";

export type PlanResult = { ok: true; plan: NumberingPlan } | { ok: false; problems: string[] };

/** Pure: the base plan with `json` merged over it, or every problem found. */
export function buildNumberingPlan(json: unknown, base: NumberingPlanData = SHIPPED_PLAN_DATA): PlanResult {
  const problems = new Problems();
  const data = readPlanOverlay(json, base, problems);
  if (problems.empty) checkPlan(data, problems);
  return problems.empty ? { ok: true, plan: indexPlan(data) } : { ok: false, problems: problems.list };
}
