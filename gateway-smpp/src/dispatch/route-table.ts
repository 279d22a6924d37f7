/**
 * Route name → the SMSC accounts that carry it. A dispatch names its route; one without a
 * route, or with a route this gateway does not know, takes the default route when there is
 * one. Among a route's accounts the first with a bound transmitting bind wins (failover in
 * configured order); when none is bound the first is used, and its submit waits for the bind.
 */
import type { SmscPool } from "../smsc-pool";

export interface AccountPool<C> {
  account: string;
  pool: SmscPool<C>;
}

export interface RouteTable<C> {
  /** The accounts of a route, in order; undefined when neither it nor a default exists. */
  accountsFor(route: string): Array<AccountPool<C>> | undefined;
  /** The account to submit through now. */
  pick(accounts: ReadonlyArray<AccountPool<C>>): AccountPool<C>;
}

export function createRouteTable<C>(
  routes: Readonly<Record<string, readonly string[]>>,
  defaultRoute: string | undefined,
  pools: ReadonlyMap<string, SmscPool<C>>,
): RouteTable<C> {
  // Pools are read at each lookup: they open when the gateway starts, after this table exists.
  const poolsOf = (route: string | undefined): Array<AccountPool<C>> | undefined => {
    const accounts = route === undefined || !Object.hasOwn(routes, route) ? undefined : routes[route];
    return accounts?.flatMap((account) => {
      const pool = pools.get(account);
      return pool === undefined ? [] : [{ account, pool }];
    });
  };
  return {
    accountsFor(route) {
      const accounts = poolsOf(route) ?? poolsOf(defaultRoute);
      return accounts === undefined || accounts.length === 0 ? undefined : accounts;
    },
    pick(accounts) {
      const first = accounts[0];
      if (first === undefined) throw new Error("a route without accounts");
      return accounts.find((a) => a.pool.bound) ?? first;
    },
  };
}
