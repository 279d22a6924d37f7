/**
 * Consistency of a whole numbering plan (shipped data and any overlay): calling codes that
 * E.164 can actually parse, range lengths inside the country's, operators that exist, one
 * default country per shared calling code.
 */
import { Problems, pathOf } from "../json/json-reader";
import { callingCodeLength } from "./calling-code";
import { formatLengths, lengthsOf } from "./plan";
import type { CountryPlan, LengthRange, NumberingPlanData } from "./types";

const within = (inner: LengthRange, outer: LengthRange) => inner.min >= outer.min && inner.max <= outer.max;

function checkCallingCode(plan: CountryPlan, path: string, problems: Problems): void {
  const code = plan.callingCode;
  const expected = callingCodeLength(code.padEnd(8, "0"));
  if (code.length !== expected) {
    problems.at(
      pathOf(path, "callingCode"),
      `+${code} is not a country calling code: codes starting with ${code.slice(0, Math.min(code.length, expected))} have ${expected} digit(s)`,
    );
  }
  if (code.length + plan.nationalLengths.max > 15) {
    problems.at(
      pathOf(path, "nationalLengths"),
      `+${code} with ${plan.nationalLengths.max} national digits exceeds the 15 digits of E.164`,
    );
  }
}

function checkRanges(plan: CountryPlan, path: string, problems: Problems): void {
  const operatorIds = new Set(plan.operators.map((o) => o.id));
  const prefix = `${plan.country.toLowerCase()}-`;
  for (const operator of plan.operators) {
    if (!operator.id.startsWith(prefix)) {
      problems.at(
        `${path}.operators["${operator.id}"]`,
        `operator id ${operator.id} must start with ${prefix}`,
      );
    }
  }
  for (const [type, lengths] of Object.entries(plan.typeLengths ?? {})) {
    if (!within(lengths, plan.nationalLengths)) {
      problems.at(
        pathOf(pathOf(path, "typeLengths"), type),
        `${formatLengths(lengths)} is outside the country's ${formatLengths(plan.nationalLengths)}`,
      );
    }
  }
  for (const range of plan.ranges) {
    // By prefix, not index: after a merge the index would not be the one in the file.
    const rangePath = `${path}.ranges["${range.prefix}"]`;
    if (range.operator && !operatorIds.has(range.operator)) {
      problems.at(
        pathOf(rangePath, "operator"),
        `unknown operator ${range.operator} (declare it in operators)`,
      );
    }
    const lengths = lengthsOf(plan, range);
    if (!within(lengths, plan.nationalLengths)) {
      problems.at(
        rangePath,
        `lengths ${formatLengths(lengths)} of range ${range.prefix} are outside the country's ${formatLengths(plan.nationalLengths)}`,
      );
    }
    if (range.prefix.length > lengths.max) {
      problems.at(
        rangePath,
        `prefix ${range.prefix} is longer than the ${lengths.max}-digit numbers of its range`,
      );
    }
  }
}

function checkSharedCallingCodes(data: NumberingPlanData, problems: Problems): void {
  const defaults = new Map<string, string[]>();
  for (const plan of Object.values(data.countries)) {
    if (plan.leadingDigits) continue;
    defaults.set(plan.callingCode, [...(defaults.get(plan.callingCode) ?? []), plan.country]);
  }
  for (const [code, countries] of defaults) {
    if (countries.length > 1) {
      problems.at(
        "countries",
        `calling code +${code} is shared by ${countries.join(", ")}: all but one of them need leadingDigits`,
      );
    }
  }
}

export function checkPlan(data: NumberingPlanData, problems: Problems): void {
  for (const [iso, plan] of Object.entries(data.countries)) {
    const path = pathOf("countries", iso);
    checkCallingCode(plan, path, problems);
    checkRanges(plan, path, problems);
  }
  checkSharedCallingCodes(data, problems);
}
