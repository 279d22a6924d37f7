/**
 * The numbering plan as data: countries, their number ranges (prefix → type, operator) and
 * length rules. Shipped data lives in ./data; tenants can overlay their own (see load.ts).
 */

/** What a number is, from its range. `unknown`: a country we only know lengths for. */
export const NUMBER_TYPES = [
  "mobile",
  "fixed",
  "premium",
  "shared_cost",
  "voip",
  "toll_free",
  "unknown",
] as const;
export type NumberType = (typeof NUMBER_TYPES)[number];

/** Types a range can declare (a range is always of a known type). */
export type RangeType = Exclude<NumberType, "unknown">;
export const RANGE_TYPES: readonly RangeType[] = NUMBER_TYPES.filter((t): t is RangeType => t !== "unknown");

/** Inclusive bounds on the number of digits of a national (significant) number. */
export interface LengthRange {
  min: number;
  max: number;
}

export interface OperatorInfo {
  /** Lowercase, prefixed with the country: "id-telkomsel". */
  id: string;
  name: string;
  /** The company or merged network a brand belongs to, e.g. "XLSmart" for XL, AXIS and Smartfren. */
  group?: string;
}

/**
 * A block of numbers sharing a prefix of the national significant number (the digits after the
 * country calling code; never the trunk "0"). The longest prefix whose lengths fit wins.
 */
export interface NumberRange {
  prefix: string;
  type: RangeType;
  /** Operator the block was allocated to (a guess once numbers are ported). */
  operator?: string;
  /** Overrides the country's length rule for this type. */
  lengths?: LengthRange;
}

export interface CountryPlan {
  /** ISO 3166-1 alpha-2. */
  country: string;
  name: string;
  /** Digits only, "62". */
  callingCode: string;
  /**
   * For countries sharing a calling code (+1): national prefixes that identify this country.
   * The one country of a shared code without them is the default (US for +1).
   */
  leadingDigits?: string[];
  /** Any valid national number of the country has this many digits. */
  nationalLengths: LengthRange;
  /** Default lengths per number type, used by ranges that do not declare their own. */
  typeLengths?: Partial<Record<RangeType, LengthRange>>;
  ranges: NumberRange[];
  /** True when the ranges cover every valid number, so a number matching none is invalid. */
  rangesExhaustive: boolean;
  /** Subscribers can keep their number when changing operator. */
  mobileNumberPortability: boolean;
  operators: OperatorInfo[];
}

export interface NumberingPlanData {
  /** Keyed by ISO 3166-1 alpha-2. */
  countries: Record<string, CountryPlan>;
}

export type ParsedPhoneNumber = {
  ok: true;
  /** Canonical form: "+" and digits only. */
  e164: string;
  countryCallingCode: string;
  country: string;
  nationalNumber: string;
};

export type ParseResult = ParsedPhoneNumber | { ok: false; reason: string };

export interface Classification {
  country: string;
  /**
   * Operator the number's block was allocated to. With mobile number portability (every
   * shipped country but Indonesia) the subscriber may have moved: a guess, good for routing
   * defaults and health grouping, never for security decisions.
   */
  operatorGuess?: string;
  type: NumberType;
  /** "+" + calling code + the longest matched range prefix, e.g. "+62812". */
  prefix: string;
}
