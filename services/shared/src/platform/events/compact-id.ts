/**
 * Ids as stored in compact records: a lowercase UUID (event ids, causation ids) as its 16 bytes
 * in base64url, 22 characters instead of 36; any other id as `=` followed by itself, so every
 * id reads back exactly as it was written.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const compactId = (id: string): string =>
  UUID.test(id) ? Buffer.from(id.replaceAll("-", ""), "hex").toString("base64url") : `=${id}`;

export function fullId(stored: string): string {
  if (stored.startsWith("=")) return stored.slice(1);
  const hex = Buffer.from(stored, "base64url").toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
