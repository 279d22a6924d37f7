/**
 * What must never travel further: a code a user typed in (someone may be talking them into
 * sharing it), and other people's phone numbers. Codes are runs of 4 to 8 digits, also typed
 * with spaces or dashes ("1 2 3 4 5 6", "482-913"); amounts ("Rp 150000", "150.000") and phone
 * numbers (9 digits or more) are not codes.
 */

/** Digit groups joined by single spaces or dashes: "482913", "482 913", "4 8 2 9 1 3". */
const DIGIT_RUN = /\+?\d(?:[ -]?\d)*/g;
const CURRENCY_BEFORE = /(?:rp|idr|rm|myr|php|₱|vnd|usd|\$|thb|฿|sgd)\.?\s*$/i;
const CURRENCY_AFTER = /^\s*(?:rb|ribu|k|jt|juta|ringgit|peso|pesos|dong|đồng|vnd|baht|บาท|usd|sgd|rm|rp)\b/i;

interface DigitRun {
  text: string;
  digits: string;
  index: number;
}

function digitRuns(text: string): DigitRun[] {
  return [...text.matchAll(DIGIT_RUN)].map((m) => ({
    text: m[0],
    digits: m[0].replace(/\D/g, ""),
    index: m.index,
  }));
}

function isAmount(text: string, run: DigitRun): boolean {
  const before = text.slice(Math.max(0, run.index - 6), run.index);
  const after = text.slice(run.index + run.text.length, run.index + run.text.length + 10);
  // "150.000" / "1,500": thousands separators belong to amounts, not codes.
  const joined = /^[.,]\d{3}/.test(after) || /\d[.,]$/.test(before);
  return joined || CURRENCY_BEFORE.test(before) || CURRENCY_AFTER.test(after);
}

const isCodeLike = (text: string, run: DigitRun): boolean =>
  run.digits.length >= 4 && run.digits.length <= 8 && !run.text.startsWith("+") && !isAmount(text, run);

const isPhoneLike = (run: DigitRun): boolean => run.digits.length >= 9 && run.digits.length <= 15;

/** Whether the message holds something that looks like a one-time code. */
export function containsCodeLike(text: string): boolean {
  return digitRuns(text).some((run) => isCodeLike(text, run));
}

/**
 * Phone numbers in the message other than the sender's own (compared on the last 9 digits, so
 * "0812…" and "+62812…" are the same number).
 */
export function mentionsOtherNumber(text: string, senderDigits: string): boolean {
  const own = senderDigits.replace(/\D/g, "").slice(-9);
  return digitRuns(text).some((run) => isPhoneLike(run) && run.digits.slice(-9) !== own);
}

export const CODE_PLACEHOLDER = "[code removed]";
export const NUMBER_PLACEHOLDER = "[number removed]";

/** Digits joined by whatever people type between them: spaces, dots, commas, dashes. */
const LOOSE_RUN = /\+?\d(?:[\s.,-]*\d)*/g;
/** An amount keeps its digits only with its currency written before it ("Rp 150.000"). */
const CURRENCY_WORD_AFTER =
  /^\s*(?:rb|ribu|jt|juta|rupiah|ringgit|peso|pesos|dong|đồng|vnd|baht|บาท|usd|sgd|rm|rp)\b/i;

/**
 * The message as it may be kept or shown to an agent: codes and phone numbers replaced by
 * placeholders (or by nothing, for a classifier that should not read "[code removed]" as "code").
 * Stricter than `containsCodeLike`, which must not cry wolf: any run of 4 digits or more goes,
 * however it is split ("482.913", "482  913", "+482913", "482913k"), unless a currency names it
 * an amount.
 */
export function redact(
  text: string,
  placeholders = { code: CODE_PLACEHOLDER, number: NUMBER_PLACEHOLDER },
): string {
  return text.replace(LOOSE_RUN, (run: string, index: number) => {
    const digits = run.replace(/\D/g, "").length;
    if (digits < 4) return run;
    const before = text.slice(Math.max(0, index - 6), index);
    const after = text.slice(index + run.length, index + run.length + 10);
    if (CURRENCY_BEFORE.test(before) || CURRENCY_WORD_AFTER.test(after)) return run;
    return digits >= 9 && digits <= 15 ? placeholders.number : placeholders.code;
  });
}
