/**
 * Which range a national number falls in. Ranges nest (ID "8" mobile, "809" premium), so the
 * longest prefix whose length rule fits wins; length decides between ranges that share first
 * digits (MY 1300-xxx-xxx shared cost vs 013-xxx xxxx mobile).
 */
import { formatLengths, lengthsOf, type IndexedCountry } from "./plan";
import type { NumberRange, RangeType } from "./types";

export type RangeMatch = { ok: true; range: NumberRange | undefined } | { ok: false; reason: string };

const TYPE_LABELS: Record<RangeType, string> = {
  mobile: "mobile",
  fixed: "fixed-line",
  premium: "premium-rate",
  shared_cost: "shared-cost",
  voip: "VoIP",
  toll_free: "toll-free",
};

export function matchRange(country: IndexedCountry, national: string): RangeMatch {
  const { plan } = country;
  let longest: NumberRange | undefined;
  for (let n = Math.min(national.length, country.longestPrefix); n >= 1; n--) {
    const range = country.rangesByPrefix.get(national.slice(0, n));
    if (!range) continue;
    longest ??= range;
    const { min, max } = lengthsOf(plan, range);
    if (national.length >= min && national.length <= max) return { ok: true, range };
  }
  if (longest) {
    const rule = formatLengths(lengthsOf(plan, longest));
    return {
      ok: false,
      reason:
        `not a valid ${TYPE_LABELS[longest.type]} number for ${plan.country}: national number starting ` +
        `with ${longest.prefix} must have ${rule} digits, got ${national.length}`,
    };
  }
  if (plan.rangesExhaustive) {
    let n = 1;
    while (n < national.length && country.prefixStems.has(national.slice(0, n))) n++;
    return {
      ok: false,
      reason: `not a valid number for ${plan.country}: no number range starts with ${national.slice(0, n)}`,
    };
  }
  const { min, max } = plan.nationalLengths;
  if (national.length < min || national.length > max) {
    return {
      ok: false,
      reason:
        `not a valid number for ${plan.country}: national number must have ` +
        `${formatLengths(plan.nationalLengths)} digits, got ${national.length}`,
    };
  }
  return { ok: true, range: undefined };
}
