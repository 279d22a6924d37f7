/**
 * Structured JSON logs, one line per record. Fields named like secrets are redacted and
 * anything that looks like a full phone number is masked, so a careless call site cannot leak
 * a code or a number. Message text never belongs in a log: use describeContent().
 */
import { maskPhone } from "@domain/privacy";

export type LogLevel = "debug" | "info" | "warn" | "error";

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; defaults to stdout. Tests capture here. */
  write?: (line: string) => void;
  base?: LogFields;
  now?: () => Date;
}

const SECRET_FIELD =
  /^(code|otp|pin|password|secret|token|authorization|text|message_?text|body|phone|msisdn|destination)$/i;
const PHONE_LIKE = /\+?\b\d{9,15}\b/g;
/** A number written in groups ("+62 812-3456-7890"): masked when its digits make a phone number. */
const GROUPED_PHONE_LIKE = /(?:\+|\b)\d{1,4}(?:[ -]\d{2,5}){2,5}\b/g;
const maskGrouped = (m: string): string => {
  const digits = m.replace(/\D/g, "").length;
  return digits >= 9 && digits <= 15 ? maskPhone(m) : m;
};

function redactValue(key: string, value: unknown, depth: number): unknown {
  // Stable error codes (OTP_RATE_LIMITED) are fine; anything else under a secret name is not.
  if (key === "code" && typeof value === "string" && /^[A-Z][A-Z0-9_]+$/.test(value)) return value;
  if (SECRET_FIELD.test(key)) {
    if (/phone|msisdn|destination/i.test(key) && typeof value === "string") return maskPhone(value);
    return "[redacted]";
  }
  return redact(value, depth + 1);
}

function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return "[deep]";
  if (typeof value === "string")
    return value.replace(GROUPED_PHONE_LIKE, maskGrouped).replace(PHONE_LIKE, (m) => maskPhone(m));
  if (value instanceof Error) return serializeError(value, depth);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactValue(k, v, depth);
    return out;
  }
  return value;
}

function serializeError(err: Error, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = { type: err.name, message: redact(err.message, depth + 1) };
  const code = (err as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (err.cause !== undefined) out.cause = redact(err.cause, depth + 1);
  return out;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = LEVELS[options.level ?? "info"];
  const write = options.write ?? ((line: string) => process.stdout.write(line + "\n"));
  const now = options.now ?? (() => new Date());
  const base = options.base ?? {};

  const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (LEVELS[level] < threshold) return;
    const record = {
      time: now().toISOString(),
      level,
      msg: redact(msg),
      ...(redact({ ...base, ...fields }) as object),
    };
    write(JSON.stringify(record));
  };

  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => createLogger({ ...options, base: { ...base, ...fields } }),
  };
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger = (): Logger => createLogger({ write: () => undefined });
