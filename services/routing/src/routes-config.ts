/**
 * The routes table from configuration. By default every operator of the six home countries has
 * its Local Direct bind (`<operator>-direct`, all its traffic) with the `aggregator` route as
 * standby; numbers of other operators go to the aggregator; WhatsApp and voice have one route
 * each. A JSON file overrides parts of it:
 *
 *   {
 *     "sms": {
 *       "operators": { "id-telkomsel": [{ "route": "id-telkomsel-direct", "weight": 80 },
 *                                         { "route": "aggregator", "weight": 20 }] },
 *       "default": [{ "route": "aggregator", "weight": 100 }]
 *     },
 *     "whatsapp": [{ "route": "whatsapp", "weight": 100 }],
 *     "voice": [{ "route": "voice", "weight": 100 }]
 *   }
 *
 * Operators merge by id (a listed operator's routes replace the default ones); lists replace.
 */
import { OtpError } from "@domain/errors";
import { describeValue, isObject, pathOf, Problems, rejectUnknownKeys } from "@domain/json/json-reader";
import { readJsonFile } from "@platform/files/load-numbering";
import { DETAILED_COUNTRIES, SHIPPED_PLAN_DATA } from "@domain/numbering/data";
import type { RoutesTable, WeightedRoute } from "./core/routes";

const AGGREGATOR_ROUTE = "aggregator";
const ROUTE_NAME = /^[A-Za-z0-9._-]{1,64}$/;

export function defaultRoutesTable(): RoutesTable {
  const operators: Record<string, WeightedRoute[]> = {};
  for (const country of DETAILED_COUNTRIES) {
    for (const operator of SHIPPED_PLAN_DATA.countries[country]?.operators ?? []) {
      operators[operator.id] = [
        { route: `${operator.id}-direct`, weight: 100 },
        { route: AGGREGATOR_ROUTE, weight: 0 },
      ];
    }
  }
  return {
    sms: { operators, default: [{ route: AGGREGATOR_ROUTE, weight: 100 }] },
    whatsapp: [{ route: "whatsapp", weight: 100 }],
    voice: [{ route: "voice", weight: 100 }],
  };
}

export type RoutesResult = { ok: true; table: RoutesTable } | { ok: false; problems: string[] };

/** Validates a routes file and merges it over the default table. */
export function buildRoutesTable(json: unknown, base: RoutesTable = defaultRoutesTable()): RoutesResult {
  const problems = new Problems();
  if (!isObject(json)) return { ok: false, problems: [`expected an object, got ${describeValue(json)}`] };
  rejectUnknownKeys(json, ["sms", "whatsapp", "voice"], "", problems);
  const table: RoutesTable = {
    sms: { operators: { ...base.sms.operators }, default: base.sms.default },
    whatsapp: readRoutes(json.whatsapp, "whatsapp", problems) ?? base.whatsapp,
    voice: readRoutes(json.voice, "voice", problems) ?? base.voice,
  };
  if (json.sms !== undefined) readSms(json.sms, table, problems);
  return problems.empty ? { ok: true, table } : { ok: false, problems: problems.list };
}

export function loadRoutesTable(path: string): RoutesTable {
  const result = buildRoutesTable(readJsonFile(path));
  if (result.ok) return result.table;
  throw new OtpError("CONFIG_INVALID", `${path}: invalid routes:\n  ${result.problems.join("\n  ")}`);
}

function readSms(value: unknown, table: RoutesTable, problems: Problems): void {
  if (!isObject(value)) {
    problems.at("sms", `expected an object, got ${describeValue(value)}`);
    return;
  }
  rejectUnknownKeys(value, ["operators", "default"], "sms", problems);
  table.sms.default = readRoutes(value.default, "sms.default", problems) ?? table.sms.default;
  const operators: unknown = value.operators;
  if (operators === undefined) return;
  if (!isObject(operators)) {
    problems.at("sms.operators", `expected an object, got ${describeValue(operators)}`);
    return;
  }
  for (const [operator, routes] of Object.entries(operators)) {
    const read = readRoutes(routes, pathOf("sms.operators", operator), problems);
    if (read) table.sms.operators[operator] = read;
  }
}

function readRoutes(value: unknown, path: string, problems: Problems): WeightedRoute[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    problems.at(path, `expected a non-empty list of routes, got ${describeValue(value)}`);
    return undefined;
  }
  const routes: WeightedRoute[] = [];
  value.forEach((item: unknown, i) => {
    const at = pathOf(path, i);
    if (!isObject(item)) return problems.at(at, `expected { route, weight }, got ${describeValue(item)}`);
    rejectUnknownKeys(item, ["route", "weight"], at, problems);
    const { route, weight = 100 } = item;
    if (typeof route !== "string" || !ROUTE_NAME.test(route)) {
      return problems.at(pathOf(at, "route"), "must be 1-64 of [A-Za-z0-9._-]");
    }
    if (typeof weight !== "number" || !Number.isInteger(weight) || weight < 0 || weight > 10_000) {
      return problems.at(pathOf(at, "weight"), "must be an integer from 0 to 10000");
    }
    routes.push({ route, weight });
  });
  if (routes.length === value.length && routes.every((r) => r.weight === 0)) {
    problems.at(path, "at least one route needs a weight above 0");
  }
  return routes.length === value.length ? routes : undefined;
}
