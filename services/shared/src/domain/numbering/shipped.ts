/** The shipped numbering plan, indexed once: immutable data, safe to share. */
import { SHIPPED_PLAN_DATA } from "./data";
import { indexPlan, type NumberingPlan } from "./plan";

export const SHIPPED_PLAN: NumberingPlan = indexPlan(SHIPPED_PLAN_DATA);
