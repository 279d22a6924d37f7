/**
 * Records kept in the store as positional JSON arrays, `[format, field, …]`, instead of JSON
 * objects: field names were about half of each. The fields' order is the format; fields are
 * only appended, and a new layout takes a new first number. A record written before as a JSON
 * object is still read by its owner.
 */

/**
 * The fields of a positional record (the format number first), or undefined for a record
 * written as a JSON object; a format other than `format` is refused, naming `what`.
 */
export function positionalFields(text: string, format: number, what: string): unknown[] | undefined {
  if (text.startsWith("{")) return undefined;
  const fields = JSON.parse(text) as unknown[];
  if (fields[0] !== format) throw new Error(`${what} in an unknown format (${String(fields[0])})`);
  return fields;
}
