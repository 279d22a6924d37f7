/**
 * Reading untrusted JSON into typed values with defaults, collecting every problem with its
 * path ("purposes.login.ttlSeconds: 900 exceeds the 600 s maximum") instead of stopping at
 * the first. Absent fields take their default; present ones must be right.
 */
export type JsonObject = Record<string, unknown>;

export const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A short, safe rendering of a bad value for a problem message. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

export const pathOf = (path: string, key: string | number): string =>
  typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${key}` : key;

/** Collects problems; `at(path, message)` records one. */
export class Problems {
  readonly list: string[] = [];
  at(path: string, message: string): void {
    this.list.push(path ? `${path}: ${message}` : message);
  }
  get empty(): boolean {
    return this.list.length === 0;
  }
}

/** The object at `path`, or undefined (with a problem) if the value is something else. */
export function readObject(value: unknown, path: string, problems: Problems): JsonObject | undefined {
  if (value === undefined) return {};
  if (isObject(value)) return value;
  problems.at(path, `expected an object, got ${describeValue(value)}`);
  return undefined;
}

/** Reports fields nobody reads: a typo would otherwise silently keep the default. */
export function rejectUnknownKeys(
  obj: JsonObject,
  allowed: readonly string[],
  path: string,
  problems: Problems,
): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key))
      problems.at(pathOf(path, key), `unknown field (expected one of ${allowed.join(", ")})`);
  }
}

export interface NumberRule {
  min: number;
  max: number;
  /** "s" renders "the 600 s maximum"; without a unit, "the maximum of 5". */
  unit?: string;
  /** Why the bound exists, e.g. a standard: "(NIST SP 800-63B)". */
  minWhy?: string;
  maxWhy?: string;
  integer?: boolean;
}

function bound(kind: "minimum" | "maximum", limit: number, rule: NumberRule): string {
  const why = kind === "minimum" ? rule.minWhy : rule.maxWhy;
  const text = rule.unit ? `the ${limit} ${rule.unit} ${kind}` : `the ${kind} of ${limit}`;
  return why ? `${text} (${why})` : text;
}

/** Checks a number against a rule; returns the problem message or undefined. */
export function numberProblem(value: unknown, rule: NumberRule): string | undefined {
  const integer = rule.integer ?? true;
  if (typeof value !== "number" || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    return `expected ${integer ? "an integer" : "a number"}, got ${describeValue(value)}`;
  }
  if (value > rule.max) return `${value} exceeds ${bound("maximum", rule.max, rule)}`;
  if (value < rule.min) return `${value} is below ${bound("minimum", rule.min, rule)}`;
  return undefined;
}

export function readNumber(
  obj: JsonObject,
  key: string,
  path: string,
  problems: Problems,
  fallback: number,
  rule: NumberRule,
): number {
  const value = obj[key];
  if (value === undefined) return fallback;
  const problem = numberProblem(value, rule);
  if (problem === undefined) return value as number;
  problems.at(pathOf(path, key), problem);
  return fallback;
}

export function readBoolean(
  obj: JsonObject,
  key: string,
  path: string,
  problems: Problems,
  fallback: boolean,
): boolean {
  const value = obj[key];
  if (value === undefined) return fallback;
  if (typeof value === "boolean") return value;
  problems.at(pathOf(path, key), `expected true or false, got ${describeValue(value)}`);
  return fallback;
}

export function readEnum<T extends string>(
  obj: JsonObject,
  key: string,
  path: string,
  problems: Problems,
  values: readonly T[],
  fallback: T,
): T {
  const value = obj[key];
  if (value === undefined) return fallback;
  if (typeof value === "string" && (values as readonly string[]).includes(value)) return value as T;
  problems.at(pathOf(path, key), `expected one of ${values.join(", ")}, got ${describeValue(value)}`);
  return fallback;
}

export interface StringRule {
  pattern: RegExp;
  /** What the pattern means, for the message: "up to 11 letters, digits or spaces". */
  expected: string;
  /** How a wrong value is shown; a secret's rule never shows its content. */
  describe?: (value: unknown) => string;
}

export function stringProblem(value: unknown, rule: StringRule): string | undefined {
  if (typeof value === "string" && rule.pattern.test(value)) return undefined;
  return `expected ${rule.expected}, got ${(rule.describe ?? describeValue)(value)}`;
}

/** A wrong value that may be a secret (a plaintext password where a sealed one belongs): its kind and length only. */
export function describeSecret(value: unknown): string {
  return typeof value === "string"
    ? `a string of ${value.length} characters (not shown)`
    : describeValue(value);
}

export function readString(
  obj: JsonObject,
  key: string,
  path: string,
  problems: Problems,
  fallback: string,
  rule: StringRule,
): string {
  const value = obj[key];
  if (value === undefined) return fallback;
  const problem = stringProblem(value, rule);
  if (problem === undefined) return value as string;
  problems.at(pathOf(path, key), problem);
  return fallback;
}

/** A list whose items each satisfy `itemProblem`; duplicates are reported. */
export function readList<T>(
  obj: JsonObject,
  key: string,
  path: string,
  problems: Problems,
  fallback: readonly T[],
  itemProblem: (item: unknown) => string | undefined,
): T[] {
  const value = obj[key];
  if (value === undefined) return [...fallback];
  const listPath = pathOf(path, key);
  if (!Array.isArray(value)) {
    problems.at(listPath, `expected a list, got ${describeValue(value)}`);
    return [...fallback];
  }
  const items: unknown[] = value;
  let ok = true;
  items.forEach((item, i) => {
    const problem = itemProblem(item) ?? (items.indexOf(item) < i ? "duplicate entry" : undefined);
    if (problem !== undefined) {
      problems.at(pathOf(listPath, i), problem);
      ok = false;
    }
  });
  return ok ? (items as T[]) : [...fallback];
}

/**
 * A map of named entries merged over `base`: entries given replace or extend the base ones
 * (each read with `readEntry`, which gets the base entry if any), `null` removes one.
 */
export function readNamedEntries<T>(
  obj: JsonObject,
  key: string,
  path: string,
  problems: Problems,
  base: Readonly<Record<string, T>>,
  nameRule: StringRule,
  readEntry: (raw: unknown, entryPath: string, name: string, baseEntry: T | undefined) => T | undefined,
): Record<string, T> {
  const result: Record<string, T> = { ...base };
  const mapPath = pathOf(path, key);
  const raw = readObject(obj[key], mapPath, problems);
  if (!raw) return result;
  for (const [name, entry] of Object.entries(raw)) {
    const entryPath = pathOf(mapPath, name);
    const nameProblem = stringProblem(name, nameRule);
    if (nameProblem) {
      problems.at(entryPath, `invalid name: ${nameProblem}`);
      continue;
    }
    if (entry === null) {
      delete result[name];
      continue;
    }
    const value = readEntry(entry, entryPath, name, base[name]);
    if (value !== undefined) result[name] = value;
  }
  return result;
}

/** A nested object with a fixed set of fields; `{}` (all defaults) when absent or invalid. */
export function readSection(
  obj: JsonObject,
  key: string,
  path: string,
  problems: Problems,
  allowed: readonly string[],
): JsonObject {
  const sectionPath = pathOf(path, key);
  const section = readObject(obj[key], sectionPath, problems);
  if (!section) return {};
  rejectUnknownKeys(section, allowed, sectionPath, problems);
  return section;
}
