/**
 * What the simulated voice provider does: JSON-able, loaded from a file or replaced at run time
 * (PUT /scenario). Destinations match by prefix (digits, no "+"); districts name groups of
 * prefixes; the longest matching prefix wins.
 */
import { OtpError } from "@domain/errors";

const CALL_OUTCOMES = ["completed", "busy", "no-answer", "failed"] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

export interface CallProfile {
  /** Created → ringing (default 50 ms). */
  ringDelayMs?: number;
  /** Ringing → answered, busy or no-answer (default 100 ms). */
  answerDelayMs?: number;
  /** Answered → completed (default 100 ms). */
  talkMs?: number;
  /** Weights of the outcome (default all "completed"). */
  outcomeMix?: Partial<Record<CallOutcome, number>>;
  /** Who picks up: a person presses keys when asked, voicemail does not (default human). */
  answeredBy?: "human" | "voicemail";
}

export interface Route extends CallProfile {
  prefix?: string;
  district?: string;
}

export interface Outage {
  prefix?: string;
  district?: string;
  from?: string;
  to?: string;
  /** api-error: the REST API answers 5xx; calls-fail: accepted, then "failed". */
  effect: "api-error" | "calls-fail";
  httpStatus?: number;
}

export interface Scenario {
  seed?: number;
  districts?: Record<string, string[]>;
  default?: CallProfile;
  routes?: Route[];
  outages?: Outage[];
  /** Call creations per second per account; more get 429 / 20429. */
  callsPerSecond?: number;
  /** The next `count` call creations fail with this answer. */
  failFirst?: { count: number; httpStatus: number; code: number };
}

export interface ResolvedProfile {
  ringDelayMs: number;
  answerDelayMs: number;
  talkMs: number;
  outcomeMix: Partial<Record<CallOutcome, number>>;
  answeredBy: "human" | "voicemail";
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
      if (to.startsWith(prefix) && (best === undefined || prefix.length > best.length))
        best = { length: prefix.length, route };
    }
  }
  const chosen = { ...scenario.default, ...best?.route };
  return {
    ringDelayMs: chosen.ringDelayMs ?? 50,
    answerDelayMs: chosen.answerDelayMs ?? 100,
    talkMs: chosen.talkMs ?? 100,
    outcomeMix: chosen.outcomeMix ?? { completed: 1 },
    answeredBy: chosen.answeredBy ?? "human",
  };
}

export function activeOutage(scenario: Scenario, phone: string, now: number): Outage | undefined {
  const to = digits(phone);
  return scenario.outages?.find((outage) => {
    const prefixes = prefixesOf(scenario, outage);
    const from = outage.from === undefined ? -Infinity : Date.parse(outage.from);
    const until = outage.to === undefined ? Infinity : Date.parse(outage.to);
    return (prefixes.length === 0 || prefixes.some((p) => to.startsWith(p))) && from <= now && now < until;
  });
}

export function pickOutcome(mix: Partial<Record<CallOutcome, number>>, random: number): CallOutcome {
  const weights = CALL_OUTCOMES.map((outcome) => [outcome, Math.max(0, mix[outcome] ?? 0)] as const);
  const total = weights.reduce((sum, [, weight]) => sum + weight, 0);
  let threshold = random * total;
  for (const [outcome, weight] of weights) {
    if (threshold < weight) return outcome;
    threshold -= weight;
  }
  return "completed";
}

/** Checks a scenario read from JSON; throws CONFIG_INVALID naming the first bad field. */
export function parseScenario(input: unknown): Scenario {
  if (!isObject(input)) throw invalid("scenario", "must be an object");
  for (const key of ["seed", "callsPerSecond"]) {
    if (input[key] !== undefined && !isCount(input[key])) throw invalid(key, "must be a number ≥ 0");
  }
  if (input.districts !== undefined && !isObject(input.districts))
    throw invalid("districts", "must be an object");
  if (input.default !== undefined) checkProfile(input.default, "default");
  checkArray(input.routes, "routes", checkProfile);
  checkArray(input.outages, "outages", (value, field) => {
    if (!isObject(value) || (value.effect !== "api-error" && value.effect !== "calls-fail")) {
      throw invalid(`${field}.effect`, "must be api-error or calls-fail");
    }
  });
  const failFirst = input.failFirst;
  if (
    failFirst !== undefined &&
    (!isObject(failFirst) ||
      !isCount(failFirst.count) ||
      !isCount(failFirst.httpStatus) ||
      !isCount(failFirst.code))
  ) {
    throw invalid("failFirst", "needs count, httpStatus, code");
  }
  return input;
}

function checkProfile(value: unknown, field: string): void {
  if (!isObject(value)) throw invalid(field, "must be an object");
  for (const key of ["ringDelayMs", "answerDelayMs", "talkMs"]) {
    if (value[key] !== undefined && !isCount(value[key]))
      throw invalid(`${field}.${key}`, "must be a number ≥ 0");
  }
  if (value.answeredBy !== undefined && value.answeredBy !== "human" && value.answeredBy !== "voicemail") {
    throw invalid(`${field}.answeredBy`, "must be human or voicemail");
  }
  const mix = value.outcomeMix;
  if (mix === undefined) return;
  if (!isObject(mix)) throw invalid(`${field}.outcomeMix`, "must be an object");
  for (const [outcome, weight] of Object.entries(mix)) {
    if (!(CALL_OUTCOMES as readonly string[]).includes(outcome) || !isCount(weight)) {
      throw invalid(
        `${field}.outcomeMix.${outcome}`,
        `must be one of ${CALL_OUTCOMES.join(", ")} with a weight`,
      );
    }
  }
}

function checkArray(value: unknown, field: string, check: (item: unknown, field: string) => void): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) throw invalid(field, "must be an array");
  value.forEach((item, i) => check(item, `${field}[${i}]`));
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
