/**
 * ITU-T E.164 country calling codes form a prefix-free set: +1 and +7 have one digit, the codes
 * below two, every other code three. So the length of the code is known from its first digits
 * even when we do not know the country, which makes "unknown country calling code +999" exact.
 */
const TWO_DIGIT_CODES = new Set(
  (
    "20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 " +
    "60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98"
  ).split(" "),
);

/** Length of the calling code that `digits` (the number after "+") starts with. */
export function callingCodeLength(digits: string): 1 | 2 | 3 {
  if (digits.startsWith("1") || digits.startsWith("7")) return 1;
  return TWO_DIGIT_CODES.has(digits.slice(0, 2)) ? 2 : 3;
}
