/**
 * A numbering plan ready for lookups: countries by ISO code and by calling code, ranges by
 * prefix. Built from validated data (see validate.ts); pure.
 */
import type { CountryPlan, LengthRange, NumberRange, NumberingPlanData } from "./types";

export interface IndexedCountry {
  plan: CountryPlan;
  rangesByPrefix: ReadonlyMap<string, NumberRange>;
  longestPrefix: number;
  /** Every leading part of every range prefix, to say where an unmatched number leaves the plan. */
  prefixStems: ReadonlySet<string>;
}

export interface NumberingPlan {
  data: NumberingPlanData;
  countries: ReadonlyMap<string, IndexedCountry>;
  /** Countries sharing a code: those identified by leading digits first, the default last. */
  byCallingCode: ReadonlyMap<string, readonly IndexedCountry[]>;
}

function indexCountry(plan: CountryPlan): IndexedCountry {
  const rangesByPrefix = new Map(plan.ranges.map((r) => [r.prefix, r]));
  const prefixStems = new Set<string>();
  for (const { prefix } of plan.ranges) {
    for (let n = 1; n <= prefix.length; n++) prefixStems.add(prefix.slice(0, n));
  }
  const longestPrefix = Math.max(0, ...plan.ranges.map((r) => r.prefix.length));
  return { plan, rangesByPrefix, longestPrefix, prefixStems };
}

export function indexPlan(data: NumberingPlanData): NumberingPlan {
  const countries = new Map<string, IndexedCountry>();
  const byCallingCode = new Map<string, IndexedCountry[]>();
  for (const plan of Object.values(data.countries)) {
    const country = indexCountry(plan);
    countries.set(plan.country, country);
    const sharing = byCallingCode.get(plan.callingCode) ?? [];
    sharing.push(country);
    byCallingCode.set(plan.callingCode, sharing);
  }
  for (const sharing of byCallingCode.values()) {
    sharing.sort((a, b) => Number(!a.plan.leadingDigits) - Number(!b.plan.leadingDigits));
  }
  return { data, countries, byCallingCode };
}

/** The country a national number belongs to among those sharing its calling code. */
export function pickCountry(
  sharing: readonly IndexedCountry[],
  national: string,
): IndexedCountry | undefined {
  return sharing.find(
    (c) => !c.plan.leadingDigits || c.plan.leadingDigits.some((d) => national.startsWith(d)),
  );
}

export function lengthsOf(country: CountryPlan, range: NumberRange): LengthRange {
  return range.lengths ?? country.typeLengths?.[range.type] ?? country.nationalLengths;
}

export const formatLengths = ({ min, max }: LengthRange): string =>
  min === max ? `${min}` : `${min}–${max}`;
