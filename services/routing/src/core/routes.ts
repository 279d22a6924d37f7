/**
 * Routes per channel, as data (Jasmin-style: a table, a required default). SMS has several
 * routes per operator (Local Direct binds, an aggregator) with weights; a route whose health is
 * "down" has its circuit open and gets no traffic while another one can take it.
 *
 * Weights split traffic among routes whose circuit is closed, by a stable fraction of
 * (verification, attempt) so a decision can be replayed. Weight 0 marks a standby route: used
 * only when every weighted route is open or has already failed for this verification.
 */
import { stableFraction } from "./fraction";
import { describeFigures } from "./health-text";
import type { ChannelName, HealthFigures, HealthView } from "./types";

export interface WeightedRoute {
  route: string;
  weight: number;
}

export interface RoutesTable {
  sms: {
    /** Per operator id (e.g. "id-telkomsel"), in order of preference. */
    operators: Record<string, WeightedRoute[]>;
    /** For numbers whose operator is unknown or not listed. */
    default: WeightedRoute[];
  };
  whatsapp: WeightedRoute[];
  voice: WeightedRoute[];
}

export interface RouteChoiceInput {
  channel: ChannelName;
  /** A route the policy fixed for the step. */
  fixedRoute?: string;
  operator: string;
  table: RoutesTable;
  health: HealthView;
  /** Routes that already failed for this verification on this channel. */
  avoid: readonly string[];
  /** Stable key of the choice, e.g. `<verification>:<attempt>`. */
  key: string;
}

export interface RouteChoice {
  route: string;
  rule: string;
  reason: string;
  health: HealthFigures[];
}

function candidateRoutes(table: RoutesTable, channel: ChannelName, operator: string): WeightedRoute[] {
  // The silent step's route is the operator's gateway, fixed by the tenant's policy.
  if (channel === "silent") return [{ route: "open-gateway", weight: 1 }];
  if (channel !== "sms") return table[channel];
  return (
    (Object.hasOwn(table.sms.operators, operator) ? table.sms.operators[operator] : undefined) ??
    table.sms.default
  );
}

export const routeHealthKey = (channel: ChannelName, route: string): string => `${channel}/${route}`;

export function chooseRoute(input: RouteChoiceInput): RouteChoice {
  const { channel, fixedRoute } = input;
  if (fixedRoute !== undefined && fixedRoute !== "") {
    const figures = input.health.routes[routeHealthKey(channel, fixedRoute)];
    return {
      route: fixedRoute,
      rule: "route:policy",
      reason: `the workflow names route ${fixedRoute}`,
      health: figures ? [figures] : [],
    };
  }
  const candidates = candidateRoutes(input.table, channel, input.operator);
  if (candidates.length === 0) {
    return { route: channel, rule: "route:default", reason: `no route table for ${channel}`, health: [] };
  }
  const figuresOf = (route: string) => input.health.routes[routeHealthKey(channel, route)];
  const used = candidates.map((c) => figuresOf(c.route)).filter((f): f is HealthFigures => f !== undefined);
  const isOpen = (route: string) => figuresOf(route)?.state === "down";
  const closed = candidates.filter((c) => !isOpen(c.route));
  const fresh = closed.filter((c) => !input.avoid.includes(c.route));
  const excluded = describeExcluded(candidates, isOpen, input.avoid);

  const usable = fresh.length > 0 ? fresh : closed;
  if (usable.length === 0) return leastBad(candidates, figuresOf, used);

  const weighted = usable.filter((c) => c.weight > 0);
  const allWeightedUsable = candidates.filter((c) => c.weight > 0).length === weighted.length;
  if (weighted.length > 0) {
    const route = weightedPick(weighted, stableFraction(input.key));
    const rule = allWeightedUsable ? "route:weighted" : "route:failover";
    const split = weighted.map((c) => `${c.route} ${c.weight}`).join(", ");
    return { route, rule, reason: `weights ${split}${excluded}`, health: used };
  }
  const standby = usable[0]!;
  return {
    route: standby.route,
    rule: "route:failover",
    reason: `standby route ${standby.route}${excluded || "; no weighted route left"}`,
    health: used,
  };
}

function weightedPick(routes: readonly WeightedRoute[], fraction: number): string {
  const total = routes.reduce((sum, r) => sum + r.weight, 0);
  let point = fraction * total;
  for (const r of routes) {
    if (point < r.weight) return r.route;
    point -= r.weight;
  }
  return routes[routes.length - 1]!.route;
}

/** Every circuit is open: the route delivering best keeps trying (a half-open circuit). */
function leastBad(
  candidates: readonly WeightedRoute[],
  figuresOf: (route: string) => HealthFigures | undefined,
  used: HealthFigures[],
): RouteChoice {
  const ranked = [...candidates].sort(
    (a, b) => (figuresOf(b.route)?.deliveryRate ?? 0) - (figuresOf(a.route)?.deliveryRate ?? 0),
  );
  const best = ranked[0]!;
  const figures = figuresOf(best.route);
  return {
    route: best.route,
    rule: "route:all-open",
    reason: `every route's circuit is open; ${best.route} delivers best${figures ? ` (${describeFigures(figures)})` : ""}`,
    health: used,
  };
}

function describeExcluded(
  candidates: readonly WeightedRoute[],
  isOpen: (route: string) => boolean,
  avoid: readonly string[],
): string {
  const open = candidates.filter((c) => isOpen(c.route)).map((c) => c.route);
  const failed = candidates.filter((c) => !isOpen(c.route) && avoid.includes(c.route)).map((c) => c.route);
  const parts = [
    ...(open.length > 0 ? [`circuit open: ${open.join(", ")}`] : []),
    ...(failed.length > 0 ? [`already failed for this verification: ${failed.join(", ")}`] : []),
  ];
  return parts.length > 0 ? `; ${parts.join("; ")}` : "";
}
