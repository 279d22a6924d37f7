/** What kind of number it is and whose (best guess): for fraud rules, routing and geo permissions. */
import { OtpError } from "../errors";
import { parseWithRange } from "./parse";
import type { NumberingPlan } from "./plan";
import { SHIPPED_PLAN } from "./shipped";
import type { Classification } from "./types";

/**
 * Classifies a number (canonical or formatted). Throws OTP_INVALID_PHONE for an invalid one:
 * callers parse first, so reaching here with a bad number is a bug or an attack.
 */
export function classify(e164: string, plan: NumberingPlan = SHIPPED_PLAN): Classification {
  const result = parseWithRange(e164, plan);
  if (!result.ok) {
    throw new OtpError("OTP_INVALID_PHONE", `phone: ${result.reason}`, {
      violations: [{ field: "phone", description: result.reason }],
    });
  }
  const { parsed, range } = result.value;
  const prefix = `+${parsed.countryCallingCode}${range?.prefix ?? ""}`;
  return {
    country: parsed.country,
    type: range?.type ?? "unknown",
    prefix,
    ...(range?.operator ? { operatorGuess: range.operator } : {}),
  };
}
