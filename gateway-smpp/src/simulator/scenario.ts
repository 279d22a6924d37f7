/**
 * What the simulated SMSC does: a JSON-able description, so that demos, load tests and outage
 * drills can load it from a file or change it at run time (PUT /scenario).
 */
import { OtpError } from "@domain/errors";

const RECEIPT_STATS = ["DELIVRD", "UNDELIV", "EXPIRED", "REJECTD"] as const;
export type ReceiptStat = (typeof RECEIPT_STATS)[number];

export interface DeliveryProfile {
  /** Delay before the receipt, in ms (default 200). */
  receiptDelayMs?: number;
  /** Relative weights of the receipt outcomes (default all DELIVRD). */
  statusMix?: Partial<Record<ReceiptStat, number>>;
  /** Refuse alphanumeric senders (TON 5) with ESME_RINVSRCADR (0x0A). */
  rejectAlphanumericSender?: boolean;
}

export interface Route extends DeliveryProfile {
  /** Destination prefix, digits without "+" (e.g. "62812"). */
  prefix?: string;
  /** A district name from `districts`, standing for all its prefixes. */
  district?: string;
}

export interface OutageWindow {
  prefix: string;
  /** ISO times; the outage is active in [from, to). */
  from: string;
  to: string;
  /** submit-fail: submit_sm answered 0x45; undeliverable: accepted, receipt UNDELIV. */
  effect: "submit-fail" | "undeliverable";
}

export interface Scenario {
  /** Seed of the random outcome mix (same seed, same outcomes). */
  seed?: number;
  /** District name → destination prefixes. */
  districts?: Record<string, string[]>;
  default?: DeliveryProfile;
  /** The longest matching prefix wins. */
  routes?: Route[];
  /** Submits per second accepted per system_id; more are answered ESME_RTHROTTLED (0x58). */
  throttlePerSecond?: number;
  /** Of every `every` submits, the first `burst` are answered ESME_RMSGQFUL (0x14). */
  queueFull?: { every: number; burst: number };
  /** Accept submits but never answer them. */
  noSubmitResponse?: boolean;
  /** Every n-th submit is answered with an unbind, then the connection is closed. */
  unbindOnSubmitEvery?: number;
  /** Every n-th submit drops the TCP connection without an answer. */
  dropConnectionOnSubmitEvery?: number;
  /** Send the receipt first, then the submit_sm_resp (after responseDelayMs). */
  receiptsBeforeResponses?: boolean;
  /** submit_sm_resp ids in hex, receipts in decimal. */
  hexIds?: boolean;
  /** Delay of every submit_sm_resp, in ms. */
  responseDelayMs?: number;
  /** Send receipts on another bound session of the same system_id when there is one. */
  receiptsOnOtherBind?: boolean;
  /**
   * Send every receipt this many times (default 1), `receiptRepeatMs` apart (default 50): an
   * SMSC that repeats receipts, e.g. after a failover of its own.
   */
  receiptCopies?: number;
  receiptRepeatMs?: number;
  outages?: OutageWindow[];
  /**
   * A hung SMSC: no connection is answered any more, binds and enquire_link included (for
   * half-open connections alone, see SmscSimulator.muteConnections).
   */
  silent?: boolean;
}

export interface ResolvedProfile {
  receiptDelayMs: number;
  statusMix: Partial<Record<ReceiptStat, number>>;
  rejectAlphanumericSender: boolean;
}

/** The delivery profile for a destination: longest matching route prefix, else the default. */
export function profileFor(scenario: Scenario, destination: string): ResolvedProfile {
  let best: { length: number; route: Route } | undefined;
  for (const route of scenario.routes ?? []) {
    for (const prefix of routePrefixes(scenario, route)) {
      if (destination.startsWith(prefix) && (best === undefined || prefix.length > best.length)) {
        best = { length: prefix.length, route };
      }
    }
  }
  const chosen = { ...scenario.default, ...best?.route };
  return {
    receiptDelayMs: chosen.receiptDelayMs ?? 200,
    statusMix: chosen.statusMix ?? { DELIVRD: 1 },
    rejectAlphanumericSender: chosen.rejectAlphanumericSender ?? false,
  };
}

function routePrefixes(scenario: Scenario, route: Route): string[] {
  const prefixes = route.prefix === undefined ? [] : [route.prefix];
  if (route.district !== undefined) prefixes.push(...(scenario.districts?.[route.district] ?? []));
  return prefixes;
}

export function activeOutage(scenario: Scenario, destination: string, now: number): OutageWindow | undefined {
  return scenario.outages?.find(
    (outage) =>
      destination.startsWith(outage.prefix) && Date.parse(outage.from) <= now && now < Date.parse(outage.to),
  );
}

/** Picks an outcome from weights with a random number in [0, 1). */
export function pickStat(mix: Partial<Record<ReceiptStat, number>>, random: number): ReceiptStat {
  const weights = RECEIPT_STATS.map((stat) => [stat, Math.max(0, mix[stat] ?? 0)] as const);
  const total = weights.reduce((sum, [, weight]) => sum + weight, 0);
  if (total === 0) return "DELIVRD";
  let threshold = random * total;
  for (const [stat, weight] of weights) {
    if (threshold < weight) return stat;
    threshold -= weight;
  }
  return "DELIVRD";
}

/** Checks a scenario read from JSON; throws CONFIG_INVALID naming the first bad field. */
export function parseScenario(input: unknown): Scenario {
  if (!isObject(input)) throw invalid("scenario", "must be an object");
  const numbers = [
    "seed",
    "throttlePerSecond",
    "unbindOnSubmitEvery",
    "dropConnectionOnSubmitEvery",
    "responseDelayMs",
    "receiptRepeatMs",
  ] as const;
  for (const key of numbers) {
    if (input[key] !== undefined && !isCount(input[key])) throw invalid(key, "must be a number ≥ 0");
  }
  const copies = input.receiptCopies;
  if (copies !== undefined && !(Number.isInteger(copies) && Number(copies) >= 1 && Number(copies) <= 10)) {
    throw invalid("receiptCopies", "must be a whole number from 1 to 10");
  }
  const flags = ["noSubmitResponse", "receiptsBeforeResponses", "hexIds", "receiptsOnOtherBind", "silent"];
  for (const key of flags) {
    if (input[key] !== undefined && typeof input[key] !== "boolean") throw invalid(key, "must be a boolean");
  }
  if (input.default !== undefined) checkProfile(input.default, "default");
  if (input.routes !== undefined) {
    if (!Array.isArray(input.routes)) throw invalid("routes", "must be an array");
    input.routes.forEach((route: unknown, i) => checkProfile(route, `routes[${i}]`));
  }
  if (input.queueFull !== undefined) {
    const q = input.queueFull;
    if (!isObject(q) || !isCount(q.every) || !isCount(q.burst))
      throw invalid("queueFull", "needs every, burst");
  }
  if (input.outages !== undefined) {
    if (!Array.isArray(input.outages)) throw invalid("outages", "must be an array");
    input.outages.forEach((o: unknown, i) => checkOutage(o, `outages[${i}]`));
  }
  if (input.districts !== undefined && !isObject(input.districts))
    throw invalid("districts", "must be an object");
  return input;
}

function checkProfile(value: unknown, field: string): void {
  if (!isObject(value)) throw invalid(field, "must be an object");
  if (value.receiptDelayMs !== undefined && !isCount(value.receiptDelayMs)) {
    throw invalid(`${field}.receiptDelayMs`, "must be a number ≥ 0");
  }
  const mix = value.statusMix;
  if (mix !== undefined) {
    if (!isObject(mix)) throw invalid(`${field}.statusMix`, "must be an object");
    for (const [stat, weight] of Object.entries(mix)) {
      if (!(RECEIPT_STATS as readonly string[]).includes(stat) || !isCount(weight)) {
        throw invalid(
          `${field}.statusMix.${stat}`,
          `must be one of ${RECEIPT_STATS.join(", ")} with a weight`,
        );
      }
    }
  }
}

function checkOutage(value: unknown, field: string): void {
  if (!isObject(value) || typeof value.prefix !== "string") throw invalid(field, "needs a prefix");
  if (Number.isNaN(Date.parse(String(value.from))) || Number.isNaN(Date.parse(String(value.to)))) {
    throw invalid(field, "needs ISO from and to");
  }
  if (value.effect !== "submit-fail" && value.effect !== "undeliverable") {
    throw invalid(`${field}.effect`, "must be submit-fail or undeliverable");
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
