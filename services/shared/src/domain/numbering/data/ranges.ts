/** Small builders that keep the shipped numbering data readable. */
import type { LengthRange, NumberRange, RangeType } from "../types";

export const lengths = (min: number, max = min): LengthRange => ({ min, max });

/** Ranges of one type from space-separated prefixes: `ranges("fixed", "2 3 4")`. */
export function ranges(
  type: RangeType,
  prefixes: string,
  options: Omit<NumberRange, "prefix" | "type"> = {},
) {
  return prefixes
    .split(/\s+/)
    .filter(Boolean)
    .map((prefix): NumberRange => ({ prefix, type, ...options }));
}

/** Mobile blocks allocated to one operator. */
export const operatorBlocks = (operator: string, prefixes: string, lengthRule?: LengthRange): NumberRange[] =>
  ranges("mobile", prefixes, lengthRule ? { operator, lengths: lengthRule } : { operator });
