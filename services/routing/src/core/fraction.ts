/**
 * A stable number in [0, 1) from a string (FNV-1a, 32 bits). Used where routing spreads
 * traffic (route weights, the share of verifications that probe a down channel) without
 * randomness, so a decision can be replayed and explained.
 */
export function stableFraction(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // FNV's low bits mix poorly for short inputs; one avalanche round spreads them.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  return (hash >>> 0) / 0x1_0000_0000;
}
