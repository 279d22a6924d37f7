/**
 * Weighted max-min fair shares (water filling): a total rate divided between tenants in
 * proportion to their weights (contracted rates), where a tenant that asks for less than its
 * share gets what it asks and the rest is divided again between the others. So a tenant's surge
 * is cut from its own share, and a tenant at its normal rate is not touched while the total
 * covers it. Pure.
 */

export interface Claim {
  key: string;
  weight: number;
  /** What the tenant asks for now (per second). */
  demand: number;
}

/** Each claim's share of `total`; shares sum to at most `total`. */
export function fairShares(total: number, claims: readonly Claim[]): Map<string, number> {
  const shares = new Map<string, number>();
  let left = Math.max(0, total);
  let open = claims.filter((c) => c.weight > 0);
  for (const c of claims) if (c.weight <= 0) shares.set(c.key, 0);
  while (open.length > 0) {
    const weights = open.reduce((sum, c) => sum + c.weight, 0);
    const perWeight = left / weights;
    const satisfied = open.filter((c) => c.demand <= c.weight * perWeight);
    if (satisfied.length === 0) {
      for (const c of open) shares.set(c.key, c.weight * perWeight);
      return shares;
    }
    for (const c of satisfied) {
      shares.set(c.key, c.demand);
      left -= c.demand;
    }
    open = open.filter((c) => !satisfied.includes(c));
  }
  return shares;
}
