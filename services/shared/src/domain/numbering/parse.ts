/**
 * E.164 parsing: "+", a known country calling code and a national number that fits the
 * country's plan. Accepts common formatting (spaces, dashes, dots, parentheses) and returns
 * the canonical "+digits" form. Never throws; the reason says exactly what is wrong, without
 * repeating the number (it may end up in logs).
 */
import { callingCodeLength } from "./calling-code";
import { pickCountry, type IndexedCountry, type NumberingPlan } from "./plan";
import { matchRange } from "./range-match";
import { SHIPPED_PLAN } from "./shipped";
import type { NumberRange, ParseResult, ParsedPhoneNumber } from "./types";

/** Separators people type: whitespace, hyphens and dashes (U+2010–2015, minus), dots, parentheses. */
const SEPARATORS = /[\s\-\u2010-\u2015\u2212.()]/g;
const DISALLOWED = /[^\d\s\-\u2010-\u2015\u2212.()]/;
/** Generous for formatting, small enough that nobody's essay gets scanned. */
const MAX_INPUT_LENGTH = 40;

const fail = (reason: string) => ({ ok: false, reason }) as const;

export interface ParsedWithRange {
  parsed: ParsedPhoneNumber;
  country: IndexedCountry;
  range: NumberRange | undefined;
}

function balancedParentheses(text: string): boolean {
  let depth = 0;
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")" && --depth < 0) return false;
  }
  return depth === 0;
}

/** The digits after "+", or why the text is not shaped like an international number. */
function digitsOf(input: unknown): { ok: true; digits: string } | { ok: false; reason: string } {
  if (typeof input !== "string") return fail("must be a string");
  const text = input.trim();
  if (text === "") return fail("is empty");
  if (text.length > MAX_INPUT_LENGTH) return fail(`is longer than ${MAX_INPUT_LENGTH} characters`);
  if (/[A-Za-z]/.test(text)) return fail("must not contain letters");
  if (text.indexOf("+") !== text.lastIndexOf("+")) return fail("must contain a single +");
  if (!text.startsWith("+")) {
    return fail(
      text.startsWith("00") ? "must start with + (not the international prefix 00)" : "must start with +",
    );
  }
  const body = text.slice(1);
  const disallowed = DISALLOWED.exec(body);
  if (disallowed) return fail(`must not contain ${JSON.stringify(disallowed[0])}`);
  if (!balancedParentheses(body)) return fail("has unbalanced parentheses");
  const digits = body.replace(SEPARATORS, "");
  if (digits.length < 8 || digits.length > 15) return fail(`must have 8 to 15 digits, got ${digits.length}`);
  return { ok: true, digits };
}

export function parseWithRange(
  input: unknown,
  plan: NumberingPlan,
): { ok: true; value: ParsedWithRange } | { ok: false; reason: string } {
  const shaped = digitsOf(input);
  if (!shaped.ok) return shaped;
  const { digits } = shaped;
  if (digits.startsWith("0")) return fail("a country calling code never starts with 0");
  const callingCode = digits.slice(0, callingCodeLength(digits));
  const sharing = plan.byCallingCode.get(callingCode);
  if (!sharing) return fail(`unknown country calling code +${callingCode}`);
  const national = digits.slice(callingCode.length);
  if (national.startsWith("0")) {
    return fail(`must not have a leading 0 after the country code +${callingCode} (drop the trunk prefix 0)`);
  }
  const country = pickCountry(sharing, national);
  if (!country) return fail(`unknown country for +${callingCode} ${national.slice(0, 3)}`);
  const match = matchRange(country, national);
  if (!match.ok) return match;
  const parsed: ParsedPhoneNumber = {
    ok: true,
    e164: `+${digits}`,
    countryCallingCode: callingCode,
    country: country.plan.country,
    nationalNumber: national,
  };
  return { ok: true, value: { parsed, country, range: match.range } };
}

/** Parses and validates an international number; see the module comment. */
export function parseE164(input: unknown, plan: NumberingPlan = SHIPPED_PLAN): ParseResult {
  const result = parseWithRange(input, plan);
  return result.ok ? result.value.parsed : result;
}
