/**
 * Message id normalisation. Some SMSCs answer submit_sm with a hex id ("1A2B") and report the
 * same message in receipts in decimal ("6699"); others pad with zeros or change letter case.
 *
 * Rule: an id has
 * - its exact key `raw:<ID>` (trimmed, upper-cased), and
 * - numeric keys `num:<decimal value>` for each reading that fits its characters: as a decimal
 *   number when it is all decimal digits, as a hex number when it is all hex digits.
 * Two ids match when their exact keys are equal, or else when they share a numeric key.
 * Lookups try the exact key first, so a numeric coincidence ("10" hex = "16" decimal) only
 * matters when no id matches exactly; the correlator's short hold time keeps that rare.
 */
const DECIMAL = /^[0-9]+$/;
const HEX = /^[0-9A-F]+$/;
const MAX_NUMERIC_LENGTH = 40;

interface NormalisedMessageId {
  /** As received, trimmed (kept for logs and events). */
  raw: string;
  exactKey: string;
  /** Numeric keys in lookup order: decimal reading first, then hex reading. */
  numericKeys: string[];
}

function normaliseMessageId(id: string): NormalisedMessageId {
  const raw = id.trim();
  const upper = raw.toUpperCase();
  const numericKeys: string[] = [];
  if (upper.length > 0 && upper.length <= MAX_NUMERIC_LENGTH) {
    if (DECIMAL.test(upper)) numericKeys.push(`num:${BigInt(upper).toString(10)}`);
    if (HEX.test(upper)) numericKeys.push(`num:${BigInt(`0x${upper}`).toString(10)}`);
  }
  return { raw, exactKey: `raw:${upper}`, numericKeys: [...new Set(numericKeys)] };
}

/** Every key of an id, exact first: what an index stores and what a lookup tries, in order. */
export function messageIdKeys(id: string): string[] {
  const normalised = normaliseMessageId(id);
  return [normalised.exactKey, ...normalised.numericKeys];
}

/**
 * The one key an id is stored under in the store's message map: trimmed, upper-cased, leading
 * zeros dropped when it is all hex digits. Lookups (`lookupKeys`) try the receipt's own key, then
 * the same number written the other way (decimal → hex, hex → decimal), which matches exactly
 * the pairs `messageIdKeys` matches, with one write per id instead of one per reading.
 */
export function storedIdKey(id: string): string {
  const upper = id.trim().toUpperCase();
  return HEX.test(upper) ? upper.replace(/^0+(?=.)/, "") : upper;
}

/** The stored keys a receipt's id may match, in order: as written, then the other base. */
export function lookupIdKeys(id: string): string[] {
  const upper = id.trim().toUpperCase();
  const keys = [storedIdKey(upper)];
  if (upper.length > 0 && upper.length <= MAX_NUMERIC_LENGTH) {
    if (DECIMAL.test(upper)) keys.push(BigInt(upper).toString(16).toUpperCase());
    if (HEX.test(upper)) keys.push(BigInt(`0x${upper}`).toString(10));
  }
  return [...new Set(keys)];
}
