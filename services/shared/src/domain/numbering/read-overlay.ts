/**
 * Reads a numbering plan file (untrusted JSON) over a base plan: countries given replace or
 * extend the base ones field by field; their ranges and operators merge by prefix and id.
 * Shape problems are collected with their paths; plan-checks.ts then checks the merged plan.
 */
import {
  Problems,
  pathOf,
  readBoolean,
  readEnum,
  readList,
  readObject,
  readString,
  rejectUnknownKeys,
  numberProblem,
  type JsonObject,
} from "../json/json-reader";
import {
  RANGE_TYPES,
  type CountryPlan,
  type LengthRange,
  type NumberRange,
  type NumberingPlanData,
  type OperatorInfo,
  type RangeType,
} from "./types";

const COUNTRY_KEYS = [
  "name",
  "callingCode",
  "leadingDigits",
  "nationalLengths",
  "typeLengths",
  "ranges",
  "rangesExhaustive",
  "mobileNumberPortability",
  "operators",
] as const;
const DIGITS = { pattern: /^[1-9]\d{0,7}$/, expected: "1 to 8 digits, not starting with 0" };
const CALLING_CODE = { pattern: /^[1-9]\d{0,2}$/, expected: "1 to 3 digits, not starting with 0" };
const NAME = { pattern: /^.{1,80}$/, expected: "a name of 1 to 80 characters" };
const ISO_COUNTRY = { pattern: /^[A-Z]{2}$/, expected: "an ISO 3166-1 alpha-2 code such as ID" };

function readLengthRange(value: unknown, path: string, problems: Problems): LengthRange | undefined {
  const obj = readObject(value, path, problems);
  if (!obj) return undefined;
  rejectUnknownKeys(obj, ["min", "max"], path, problems);
  const rule = { min: 1, max: 15 };
  let ok = true;
  for (const key of ["min", "max"] as const) {
    const problem = obj[key] === undefined ? "is required" : numberProblem(obj[key], rule);
    if (problem) problems.at(pathOf(path, key), problem);
    ok &&= problem === undefined;
  }
  if (!ok) return undefined;
  const lengths = { min: obj.min as number, max: obj.max as number };
  if (lengths.min > lengths.max) {
    problems.at(path, `min ${lengths.min} is greater than max ${lengths.max}`);
    return undefined;
  }
  return lengths;
}

function readEntries<T>(
  obj: JsonObject,
  key: string,
  path: string,
  problems: Problems,
  readOne: (raw: JsonObject, itemPath: string) => T | undefined,
): T[] {
  const listPath = pathOf(path, key);
  const raw = obj[key];
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problems.at(listPath, "expected a list");
    return [];
  }
  const items: unknown[] = raw;
  return items.flatMap((item, i) => {
    const itemObj = readObject(item, pathOf(listPath, i), problems);
    const value = itemObj ? readOne(itemObj, pathOf(listPath, i)) : undefined;
    return value === undefined ? [] : [value];
  });
}

function readRange(raw: JsonObject, path: string, problems: Problems): NumberRange | undefined {
  rejectUnknownKeys(raw, ["prefix", "type", "operator", "lengths"], path, problems);
  const before = problems.list.length;
  if (raw.prefix === undefined) problems.at(pathOf(path, "prefix"), "is required");
  if (raw.type === undefined) problems.at(pathOf(path, "type"), "is required");
  const prefix = readString(raw, "prefix", path, problems, "", DIGITS);
  const type = readEnum<RangeType>(raw, "type", path, problems, RANGE_TYPES, "mobile");
  const operator = readString(raw, "operator", path, problems, "", {
    pattern: /^.+$/,
    expected: "an operator id",
  });
  const lengths =
    raw.lengths === undefined ? undefined : readLengthRange(raw.lengths, pathOf(path, "lengths"), problems);
  if (problems.list.length > before) return undefined;
  return { prefix, type, ...(operator ? { operator } : {}), ...(lengths ? { lengths } : {}) };
}

function readOperator(raw: JsonObject, path: string, problems: Problems): OperatorInfo | undefined {
  rejectUnknownKeys(raw, ["id", "name", "group"], path, problems);
  const before = problems.list.length;
  for (const key of ["id", "name"]) if (raw[key] === undefined) problems.at(pathOf(path, key), "is required");
  const id = readString(raw, "id", path, problems, "", {
    pattern: /^[a-z]{2}-[a-z0-9-]{1,40}$/,
    expected: 'a lowercase id prefixed with the country, such as "id-telkomsel"',
  });
  const name = readString(raw, "name", path, problems, "", NAME);
  const group = readString(raw, "group", path, problems, "", NAME);
  if (problems.list.length > before) return undefined;
  return { id, name, ...(group ? { group } : {}) };
}

/** Base entries, with those of the overlay replacing any of the same key. */
function mergeBy<T>(base: readonly T[], overlay: readonly T[], key: (t: T) => string): T[] {
  const replaced = new Set(overlay.map(key));
  return [...base.filter((t) => !replaced.has(key(t))), ...overlay];
}

function reportDuplicates<T>(items: readonly T[], key: (t: T) => string, path: string, problems: Problems) {
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(key(item))) problems.at(path, `duplicate entry ${JSON.stringify(key(item))}`);
    seen.add(key(item));
  }
}

function readTypeLengths(value: unknown, path: string, problems: Problems) {
  const obj = readObject(value, path, problems);
  if (!obj) return undefined;
  rejectUnknownKeys(obj, RANGE_TYPES, path, problems);
  const result: Partial<Record<RangeType, LengthRange>> = {};
  for (const type of RANGE_TYPES) {
    const lengths =
      obj[type] === undefined ? undefined : readLengthRange(obj[type], pathOf(path, type), problems);
    if (lengths) result[type] = lengths;
  }
  return result;
}

function readCountry(
  iso: string,
  raw: JsonObject,
  base: CountryPlan | undefined,
  path: string,
  problems: Problems,
): CountryPlan | undefined {
  rejectUnknownKeys(raw, COUNTRY_KEYS, path, problems);
  if (!base) {
    for (const key of ["name", "callingCode", "nationalLengths"]) {
      if (raw[key] === undefined)
        problems.at(pathOf(path, key), "is required for a country not in the shipped plan");
    }
  }
  const ranges = readEntries(raw, "ranges", path, problems, (r, p) => readRange(r, p, problems));
  const operators = readEntries(raw, "operators", path, problems, (r, p) => readOperator(r, p, problems));
  reportDuplicates(ranges, (r) => r.prefix, pathOf(path, "ranges"), problems);
  reportDuplicates(operators, (o) => o.id, pathOf(path, "operators"), problems);
  const leadingDigits = readList<string>(
    raw,
    "leadingDigits",
    path,
    problems,
    base?.leadingDigits ?? [],
    (d) => (typeof d === "string" && DIGITS.pattern.test(d) ? undefined : `expected ${DIGITS.expected}`),
  );
  const nationalLengths =
    raw.nationalLengths === undefined
      ? base?.nationalLengths
      : readLengthRange(raw.nationalLengths, pathOf(path, "nationalLengths"), problems);
  const typeLengths =
    raw.typeLengths === undefined
      ? base?.typeLengths
      : readTypeLengths(raw.typeLengths, pathOf(path, "typeLengths"), problems);
  const name = readString(raw, "name", path, problems, base?.name ?? iso, NAME);
  const callingCode = readString(raw, "callingCode", path, problems, base?.callingCode ?? "", CALLING_CODE);
  const rangesExhaustive = readBoolean(
    raw,
    "rangesExhaustive",
    path,
    problems,
    base?.rangesExhaustive ?? false,
  );
  const portability = readBoolean(
    raw,
    "mobileNumberPortability",
    path,
    problems,
    base?.mobileNumberPortability ?? true,
  );
  if (!nationalLengths) return undefined;
  return {
    country: iso,
    name,
    callingCode,
    ...(leadingDigits.length > 0 ? { leadingDigits } : {}),
    nationalLengths,
    ...(typeLengths ? { typeLengths } : {}),
    ranges: mergeBy(base?.ranges ?? [], ranges, (r) => r.prefix),
    rangesExhaustive,
    mobileNumberPortability: portability,
    operators: mergeBy(base?.operators ?? [], operators, (o) => o.id),
  };
}

/** The base plan with the overlay's countries merged in; problems collect what was wrong. */
export function readPlanOverlay(
  json: unknown,
  base: NumberingPlanData,
  problems: Problems,
): NumberingPlanData {
  const countries = { ...base.countries };
  const root = readObject(json, "", problems);
  if (!root) return { countries };
  rejectUnknownKeys(root, ["countries"], "", problems);
  const raw = readObject(root.countries, "countries", problems) ?? {};
  for (const [iso, entry] of Object.entries(raw)) {
    const path = pathOf("countries", iso);
    if (!ISO_COUNTRY.pattern.test(iso)) {
      problems.at(path, `invalid country: expected ${ISO_COUNTRY.expected}`);
      continue;
    }
    const obj = readObject(entry, path, problems);
    const country = obj && readCountry(iso, obj, base.countries[iso], path, problems);
    if (country) countries[iso] = country;
  }
  return { countries };
}
