/**
 * What the simulated WhatsApp Cloud API does: JSON-able, loaded from a file or replaced at run
 * time (PUT /scenario). Destinations are matched by prefix (digits, no "+"), districts name
 * groups of prefixes, the longest matching prefix wins.
 */
import { OtpError } from "@domain/errors";

const OUTCOMES = ["read", "delivered", "sent", "failed"] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface DeliveryProfile {
  /** Accepted → "sent" webhook (default 50 ms). */
  sentDelayMs?: number;
  /** "sent" → "delivered" (default 100 ms). */
  deliveredDelayMs?: number;
  /** "delivered" → "read" (default 200 ms). */
  readDelayMs?: number;
  /** Weights of the final outcome (default all "read"). "sent": never reaches the handset. */
  outcomeMix?: Partial<Record<Outcome, number>>;
  /** Error code of a "failed" outcome (default 131000, something went wrong). */
  failedCode?: number;
}

export interface Route extends DeliveryProfile {
  prefix?: string;
  district?: string;
}

export interface Outage {
  prefix?: string;
  district?: string;
  /** Only these senders are affected (default all). */
  phoneNumberIds?: string[];
  /** ISO times; the outage is active in [from, to). Absent: always. */
  from?: string;
  to?: string;
  /** no-delivery: accepted and "sent", never delivered; server-error: the API answers 5xx. */
  effect: "no-delivery" | "server-error";
  httpStatus?: number;
}

export interface Scenario {
  seed?: number;
  districts?: Record<string, string[]>;
  default?: DeliveryProfile;
  routes?: Route[];
  /** Numbers or prefixes that have no WhatsApp account: accepted, then failed 131026. */
  notOnWhatsApp?: string[];
  outages?: Outage[];
  /** Sends per second accepted per phone number id; more get 429 / 130429. */
  rateLimitPerSecond?: number;
  /** Retry-After on rate-limit answers (absent: no header, like Meta). */
  retryAfterSeconds?: number;
  /** The next `count` sends fail with this answer (counted from when the scenario was set). */
  failFirst?: { count: number; httpStatus: number; code: number };
  /** Approved template names; absent: any name is approved. */
  templates?: string[];
}

export interface ResolvedProfile {
  sentDelayMs: number;
  deliveredDelayMs: number;
  readDelayMs: number;
  outcomeMix: Partial<Record<Outcome, number>>;
  failedCode: number;
}

const digits = (phone: string): string => phone.replace(/[^0-9]/g, "");

function prefixesOf(scenario: Scenario, item: { prefix?: string; district?: string }): string[] {
  const prefixes = item.prefix === undefined ? [] : [item.prefix];
  if (item.district !== undefined) prefixes.push(...(scenario.districts?.[item.district] ?? []));
  return prefixes;
}

export function profileFor(scenario: Scenario, phone: string): ResolvedProfile {
  const to = digits(phone);
  let best: { length: number; route: Route } | undefined;
  for (const route of scenario.routes ?? []) {
    for (const prefix of prefixesOf(scenario, route)) {
      if (to.startsWith(prefix) && (best === undefined || prefix.length > best.length)) {
        best = { length: prefix.length, route };
      }
    }
  }
  const chosen = { ...scenario.default, ...best?.route };
  return {
    sentDelayMs: chosen.sentDelayMs ?? 50,
    deliveredDelayMs: chosen.deliveredDelayMs ?? 100,
    readDelayMs: chosen.readDelayMs ?? 200,
    outcomeMix: chosen.outcomeMix ?? { read: 1 },
    failedCode: chosen.failedCode ?? 131000,
  };
}

export function isNotOnWhatsApp(scenario: Scenario, phone: string): boolean {
  const to = digits(phone);
  return (scenario.notOnWhatsApp ?? []).some((prefix) => to.startsWith(digits(prefix)));
}

export function activeOutage(
  scenario: Scenario,
  phone: string,
  phoneNumberId: string,
  now: number,
): Outage | undefined {
  const to = digits(phone);
  return scenario.outages?.find((outage) => {
    const prefixes = prefixesOf(scenario, outage);
    const matchesPhone = prefixes.length === 0 || prefixes.some((p) => to.startsWith(p));
    const matchesSender =
      outage.phoneNumberIds === undefined || outage.phoneNumberIds.includes(phoneNumberId);
    const from = outage.from === undefined ? -Infinity : Date.parse(outage.from);
    const until = outage.to === undefined ? Infinity : Date.parse(outage.to);
    return matchesPhone && matchesSender && from <= now && now < until;
  });
}

export function pickOutcome(mix: Partial<Record<Outcome, number>>, random: number): Outcome {
  const weights = OUTCOMES.map((outcome) => [outcome, Math.max(0, mix[outcome] ?? 0)] as const);
  const total = weights.reduce((sum, [, weight]) => sum + weight, 0);
  if (total === 0) return "read";
  let threshold = random * total;
  for (const [outcome, weight] of weights) {
    if (threshold < weight) return outcome;
    threshold -= weight;
  }
  return "read";
}

/** Checks a scenario read from JSON; throws CONFIG_INVALID naming the first bad field. */
export function parseScenario(input: unknown): Scenario {
  if (!isObject(input)) throw invalid("scenario", "must be an object");
  for (const key of ["seed", "rateLimitPerSecond", "retryAfterSeconds"] as const) {
    if (input[key] !== undefined && !isCount(input[key])) throw invalid(key, "must be a number ≥ 0");
  }
  if (input.default !== undefined) checkProfile(input.default, "default");
  checkArray(input.routes, "routes", (route, field) => checkProfile(route, field));
  checkArray(input.outages, "outages", checkOutage);
  checkArray(input.notOnWhatsApp, "notOnWhatsApp", (v, field) => {
    if (typeof v !== "string") throw invalid(field, "must be a string");
  });
  checkArray(input.templates, "templates", (v, field) => {
    if (typeof v !== "string") throw invalid(field, "must be a string");
  });
  if (input.districts !== undefined && !isObject(input.districts))
    throw invalid("districts", "must be an object");
  const failFirst = input.failFirst;
  if (failFirst !== undefined) {
    if (
      !isObject(failFirst) ||
      !isCount(failFirst.count) ||
      !isCount(failFirst.httpStatus) ||
      !isCount(failFirst.code)
    ) {
      throw invalid("failFirst", "needs count, httpStatus, code");
    }
  }
  return input;
}

function checkArray(value: unknown, field: string, check: (item: unknown, field: string) => void): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) throw invalid(field, "must be an array");
  value.forEach((item, i) => check(item, `${field}[${i}]`));
}

function checkProfile(value: unknown, field: string): void {
  if (!isObject(value)) throw invalid(field, "must be an object");
  for (const key of ["sentDelayMs", "deliveredDelayMs", "readDelayMs", "failedCode"]) {
    if (value[key] !== undefined && !isCount(value[key]))
      throw invalid(`${field}.${key}`, "must be a number ≥ 0");
  }
  const mix = value.outcomeMix;
  if (mix === undefined) return;
  if (!isObject(mix)) throw invalid(`${field}.outcomeMix`, "must be an object");
  for (const [outcome, weight] of Object.entries(mix)) {
    if (!(OUTCOMES as readonly string[]).includes(outcome) || !isCount(weight)) {
      throw invalid(`${field}.outcomeMix.${outcome}`, `must be one of ${OUTCOMES.join(", ")} with a weight`);
    }
  }
}

function checkOutage(value: unknown, field: string): void {
  if (!isObject(value)) throw invalid(field, "must be an object");
  if (value.effect !== "no-delivery" && value.effect !== "server-error") {
    throw invalid(`${field}.effect`, "must be no-delivery or server-error");
  }
  for (const key of ["from", "to"]) {
    if (
      value[key] !== undefined &&
      (typeof value[key] !== "string" || Number.isNaN(Date.parse(value[key])))
    ) {
      throw invalid(`${field}.${key}`, "must be an ISO time");
    }
  }
  if (value.phoneNumberIds !== undefined && !Array.isArray(value.phoneNumberIds)) {
    throw invalid(`${field}.phoneNumberIds`, "must be an array");
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): boolean {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

function invalid(field: string, description: string): OtpError {
  return new OtpError("CONFIG_INVALID", `scenario ${field}: ${description}`, {
    violations: [{ field, description }],
  });
}
