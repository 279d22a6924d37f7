/**
 * Loading a numbering plan file: the only I/O of the numbering module. The file is merged over
 * the shipped plan (see build.ts); every problem is reported at once, with its path.
 */
import { readFileSync } from "node:fs";
import { OtpError } from "@domain/errors";
import { buildNumberingPlan } from "@domain/numbering/build";
import { SHIPPED_PLAN_DATA } from "@domain/numbering/data";
import type { NumberingPlan } from "@domain/numbering/plan";
import type { NumberingPlanData } from "@domain/numbering/types";

export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new OtpError("CONFIG_INVALID", `${path}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new OtpError("CONFIG_INVALID", `${path}: not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Reads a plan file and merges it over the shipped plan; throws CONFIG_INVALID listing every problem. */
export function loadNumberingPlan(path: string, base: NumberingPlanData = SHIPPED_PLAN_DATA): NumberingPlan {
  const result = buildNumberingPlan(readJsonFile(path), base);
  if (result.ok) return result.plan;
  throw new OtpError("CONFIG_INVALID", `${path}: invalid numbering plan:\n  ${result.problems.join("\n  ")}`);
}
