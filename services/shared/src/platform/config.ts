/**
 * Configuration is read once, at start, from the environment. Every problem is collected and
 * reported together; main() prints them and exits non-zero instead of starting half-configured.
 */
import { OtpError } from "@domain/errors";

export type Env = Record<string, string | undefined>;

export interface Field<T> {
  read(env: Env, name: string, problems: string[]): T;
}

function field<T>(parse: (raw: string) => T | string, fallback?: () => T, secret = false): Field<T> {
  return {
    read(env, name, problems) {
      const raw = env[name];
      if (raw === undefined || raw === "") {
        if (fallback) return fallback();
        problems.push(`${name} is required`);
        return undefined as T;
      }
      const parsed = parse(raw);
      if (typeof parsed === "string" && parsed.startsWith("!")) {
        problems.push(`${name}=${secret ? "<secret>" : JSON.stringify(raw)}: ${parsed.slice(1)}`);
        return undefined as T;
      }
      return parsed as T;
    },
  };
}

export const str = (fallback?: string): Field<string> =>
  field((raw) => raw, fallback === undefined ? undefined : () => fallback);

export const secret = (fallback?: string): Field<string> =>
  field((raw) => raw, fallback === undefined ? undefined : () => fallback, true);

export const optionalStr = (): Field<string | undefined> =>
  field<string | undefined>(
    (raw) => raw,
    () => undefined,
  );

export const int = (fallback?: number, bounds: { min?: number; max?: number } = {}): Field<number> =>
  field(
    (raw) => {
      if (!/^-?\d+$/.test(raw)) return "!not an integer";
      const n = Number(raw);
      if (bounds.min !== undefined && n < bounds.min) return `!must be >= ${bounds.min}`;
      if (bounds.max !== undefined && n > bounds.max) return `!must be <= ${bounds.max}`;
      return n;
    },
    fallback === undefined ? undefined : () => fallback,
  );

export const bool = (fallback?: boolean): Field<boolean> =>
  field(
    (raw) => {
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      return "!expected true or false";
    },
    fallback === undefined ? undefined : () => fallback,
  );

export const oneOf = <T extends string>(values: readonly T[], fallback?: T): Field<T> =>
  field(
    (raw) =>
      (values as readonly string[]).includes(raw) ? (raw as T) : `!expected one of ${values.join(", ")}`,
    fallback === undefined ? undefined : () => fallback,
  );

/** Comma-separated list. */
export const list = (fallback?: string[]): Field<string[]> =>
  field(
    (raw) =>
      raw
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    fallback === undefined ? undefined : () => fallback,
  );

/** Comma-separated list whose every item matches `pattern`, at most `max` items. */
export const listMatching = (
  pattern: RegExp,
  what: string,
  options: { fallback?: readonly string[]; max?: number } = {},
): Field<string[]> =>
  field(
    (raw) => {
      const items = raw
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = items.filter((item) => !pattern.test(item));
      if (bad.length > 0) return `!${bad.map((b) => JSON.stringify(b)).join(", ")} not ${what}`;
      if (options.max !== undefined && items.length > options.max) return `!at most ${options.max} items`;
      return items;
    },
    options.fallback === undefined ? undefined : () => [...(options.fallback ?? [])],
  );

/** A host:port address. */
export const address = (fallback?: string): Field<string> =>
  field(
    (raw) =>
      /^[^\s:]+:\d{1,5}$/.test(raw) || /^\[[0-9a-f:]+\]:\d{1,5}$/i.test(raw) ? raw : "!expected host:port",
    fallback === undefined ? undefined : () => fallback,
  );

/** 32 bytes, base64 or hex (keys for AES-256-GCM and HMAC). */
export const key256 = (fallback?: () => Buffer): Field<Buffer> =>
  field(
    (raw) => {
      const buf = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, "hex") : Buffer.from(raw, "base64");
      return buf.length === 32 ? buf : "!expected 32 bytes as 64 hex characters or base64";
    },
    fallback,
    true,
  );

export type Spec = Record<string, Field<unknown>>;
export type ConfigOf<S extends Spec> = { [K in keyof S]: S[K] extends Field<infer T> ? T : never };

/** Reads every field; throws one CONFIG_INVALID error listing all problems. */
export function readConfig<S extends Spec>(spec: S, env: Env = process.env): ConfigOf<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(spec)) out[name] = f.read(env, name, problems);
  if (problems.length > 0) {
    throw new OtpError("CONFIG_INVALID", `invalid configuration:\n  - ${problems.join("\n  - ")}`);
  }
  return out as ConfigOf<S>;
}

/** The problems a CONFIG_INVALID error lists (one per line), or undefined for any other error. */
function problemsOf(err: unknown): string[] | undefined {
  if (!(err instanceof OtpError) || err.code !== "CONFIG_INVALID") return undefined;
  const [first = "", ...rest] = err.message.split("\n");
  if (first !== "invalid configuration:") return [err.message];
  // "  - " starts a problem; any other line continues the one before it.
  const problems: string[] = [];
  for (const line of rest) {
    const item = /^\s*- (.*)$/.exec(line);
    if (item || problems.length === 0) problems.push(item?.[1] ?? line.trim());
    else problems[problems.length - 1] += `\n${line.trim()}`;
  }
  return problems;
}

/**
 * Runs every configuration check and throws one CONFIG_INVALID error listing the problems of all
 * of them, so a start names everything to fix at once instead of one loader's problems a run.
 * Anything but a configuration error is rethrown as it is.
 */
export function checkTogether(checks: ReadonlyArray<() => unknown>): void {
  const problems: string[] = [];
  for (const check of checks) {
    try {
      check();
    } catch (err) {
      const found = problemsOf(err);
      if (!found) throw err;
      problems.push(...found);
    }
  }
  if (problems.length > 0) {
    // Two checks may read one variable (ADMISSION_MAX_IN_FLIGHT defaults to ISSUANCE_MAX_IN_FLIGHT):
    // a problem is listed once.
    const listed = [...new Set(problems)].map((problem) => problem.replace(/\n\s*/g, "\n    "));
    throw new OtpError("CONFIG_INVALID", `invalid configuration:\n  - ${listed.join("\n  - ")}`);
  }
}
