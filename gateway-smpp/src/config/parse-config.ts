/**
 * Builds a GatewayConfig from JSON (the SMPP_CONFIG file), collecting every problem with its
 * path, e.g. `accounts.telkomsel.window: 500 exceeds 3 × tps (300): ...` or
 * `routes.sms-id[1]: unknown account "xl"`. Passwords never appear in problems.
 */
import { OtpError } from "@domain/errors";
import {
  Problems,
  describeValue,
  isObject,
  pathOf,
  readNumber,
  readString,
  rejectUnknownKeys,
  type JsonObject,
} from "@domain/json/json-reader";
import type { DispatchSettings, GatewayConfig } from "./gateway-config";
import { NAME, readAccounts, type ConfigSources } from "./parse-accounts";
import { readMessages } from "./parse-messages";

export type ConfigResult = { ok: true; config: GatewayConfig } | { ok: false; problems: string[] };

const TOP_LEVEL = ["accounts", "routes", "defaultRoute", "messages", "dispatch"];

export function parseGatewayConfig(json: unknown, sources: ConfigSources): ConfigResult {
  const problems = new Problems();
  if (!isObject(json)) return { ok: false, problems: [`expected an object, got ${describeValue(json)}`] };
  rejectUnknownKeys(json, TOP_LEVEL, "", problems);
  const accounts = readAccounts(json.accounts, sources, problems);
  // Routes are checked against every account named, valid or not, so that one bad account
  // is reported once rather than again in each route using it.
  const routes = readRoutes(json.routes, isObject(json.accounts) ? Object.keys(json.accounts) : [], problems);
  let defaultRoute: string | undefined;
  if (json.defaultRoute !== undefined) {
    defaultRoute = readString(json, "defaultRoute", "", problems, "", NAME);
    if (defaultRoute !== "" && !Object.hasOwn(routes, defaultRoute)) {
      problems.at("defaultRoute", `"${defaultRoute}" is not a configured route`);
    }
  }
  const config: GatewayConfig = {
    accounts,
    routes,
    defaultRoute: defaultRoute || undefined,
    messages: readMessages(json.messages, problems),
    dispatch: readDispatch(json.dispatch, problems),
  };
  return problems.empty ? { ok: true, config } : { ok: false, problems: problems.list };
}

/** parseGatewayConfig, throwing CONFIG_INVALID with every problem. */
export function gatewayConfigOrThrow(json: unknown, sources: ConfigSources, origin: string): GatewayConfig {
  const result = parseGatewayConfig(json, sources);
  if (result.ok) return result.config;
  throw new OtpError(
    "CONFIG_INVALID",
    `${origin}: invalid SMPP configuration:\n  ${result.problems.join("\n  ")}`,
  );
}

function readRoutes(raw: unknown, accountNames: string[], problems: Problems): Record<string, string[]> {
  const routes: Record<string, string[]> = {};
  if (!isObject(raw) || Object.keys(raw).length === 0) {
    problems.at("routes", `expected an object with at least one route, got ${describeValue(raw)}`);
    return routes;
  }
  for (const [name, accounts] of Object.entries(raw)) {
    const path = pathOf("routes", name);
    if (!NAME.pattern.test(name)) {
      problems.at(path, `invalid name: expected ${NAME.expected}`);
      continue;
    }
    if (!Array.isArray(accounts) || accounts.length === 0) {
      problems.at(path, `expected a non-empty list of account names, got ${describeValue(accounts)}`);
      continue;
    }
    const list: unknown[] = accounts;
    list.forEach((account, i) => {
      if (typeof account !== "string" || !accountNames.includes(account)) {
        const known = accountNames.length > 0 ? ` (accounts: ${accountNames.join(", ")})` : "";
        problems.at(pathOf(path, i), `unknown account ${describeValue(account)}${known}`);
      } else if (list.indexOf(account) < i) {
        problems.at(pathOf(path, i), "duplicate entry");
      }
    });
    routes[name] = list.filter((a): a is string => typeof a === "string");
  }
  return routes;
}

const DISPATCH_DEFAULTS: DispatchSettings = {
  consumerGroup: "gateway-smpp",
  partitionConcurrency: 12,
  maxInFlight: undefined,
  minRemainingSeconds: 5,
  stateGraceMs: 3_600_000,
  localReceiptHoldMs: 500,
  receiptLookupMs: 5_000,
  inFlightWaitMs: 15_000,
};

function readDispatch(raw: unknown, problems: Problems): DispatchSettings {
  if (raw === undefined) return { ...DISPATCH_DEFAULTS };
  if (!isObject(raw)) {
    problems.at("dispatch", `expected an object, got ${describeValue(raw)}`);
    return { ...DISPATCH_DEFAULTS };
  }
  const d = DISPATCH_DEFAULTS;
  rejectUnknownKeys(raw, Object.keys(d), "dispatch", problems);
  const ms = (obj: JsonObject, key: keyof DispatchSettings, fallback: number, min: number, max: number) =>
    readNumber(obj, key, "dispatch", problems, fallback, { min, max, unit: "ms" });
  return {
    consumerGroup: readString(raw, "consumerGroup", "dispatch", problems, d.consumerGroup, NAME),
    partitionConcurrency: readNumber(
      raw,
      "partitionConcurrency",
      "dispatch",
      problems,
      d.partitionConcurrency,
      {
        min: 1,
        max: 256,
      },
    ),
    maxInFlight:
      raw.maxInFlight === undefined
        ? undefined
        : readNumber(raw, "maxInFlight", "dispatch", problems, 1, { min: 1, max: 10_000 }),
    minRemainingSeconds: readNumber(raw, "minRemainingSeconds", "dispatch", problems, d.minRemainingSeconds, {
      min: 0,
      max: 300,
      unit: "s",
    }),
    stateGraceMs: ms(raw, "stateGraceMs", d.stateGraceMs, 60_000, 7 * 24 * 3_600_000),
    localReceiptHoldMs: ms(raw, "localReceiptHoldMs", d.localReceiptHoldMs, 0, 60_000),
    receiptLookupMs: ms(raw, "receiptLookupMs", d.receiptLookupMs, 0, 120_000),
    inFlightWaitMs: ms(raw, "inFlightWaitMs", d.inFlightWaitMs, 0, 25_000),
  };
}
