/**
 * What may leave the process about a person. Logs, spans, events in clear and errors use
 * these, never the raw values.
 */

/** `+6281234565678` → `+62812****5678`: country + operator prefix and the last four digits. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/[^0-9]/g, "");
  if (digits.length < 8) return "+" + "*".repeat(digits.length);
  // At least four digits stay hidden, whatever the length.
  const head = digits.slice(0, Math.max(0, Math.min(5, digits.length - 8)));
  const tail = digits.slice(-4);
  return `+${head}${"*".repeat(digits.length - head.length - 4)}${tail}`;
}

/** Jasmin-style placeholder for message content: `** 23 byte content **`. */
export function describeContent(text: string | Uint8Array): string {
  const bytes = typeof text === "string" ? Buffer.byteLength(text, "utf8") : text.byteLength;
  return `** ${bytes} byte content **`;
}
