/** Reads the `accounts` section: one SMSC account per entry, every problem with its path. */
import {
  Problems,
  isObject,
  pathOf,
  readBoolean,
  readEnum,
  readNumber,
  readString,
  rejectUnknownKeys,
  describeValue,
  type JsonObject,
} from "@domain/json/json-reader";
import { BIND_MODES, type AccountConfig, type OutbindConfig } from "./gateway-config";

export interface ConfigSources {
  /** For `passwordEnv`. */
  env: Record<string, string | undefined>;
  /** For `tls.caFile`. */
  readFile: (path: string) => string;
}

const ACCOUNT_FIELDS = [
  "host",
  "port",
  "tls",
  "systemId",
  "password",
  "passwordEnv",
  "systemType",
  "bindMode",
  "binds",
  "window",
  "tps",
  "responseTimeoutMs",
  "enquireLinkIntervalMs",
  "notBoundWaitMs",
  "reconnect",
  "outbind",
];

export const NAME = {
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
  expected: "a name of letters, digits, . _ -",
};
const HOST = { pattern: /^[A-Za-z0-9.:[\]-]{1,253}$/, expected: "a host name or IP address" };
// SMPP 3.4 §5.2: system_id is a C-Octet String of at most 16 octets, system_type 13.
const SYSTEM_ID = {
  pattern: /^[\x21-\x7e]{1,15}$/,
  expected: "1 to 15 printable ASCII characters (SMPP 3.4)",
};
const SYSTEM_TYPE = {
  pattern: /^[\x21-\x7e]{0,12}$/,
  expected: "up to 12 printable ASCII characters (SMPP 3.4)",
};
const ENV_NAME = { pattern: /^[A-Z_][A-Z0-9_]*$/, expected: "an environment variable name" };

export function readAccounts(
  raw: unknown,
  sources: ConfigSources,
  problems: Problems,
): Record<string, AccountConfig> {
  const accounts: Record<string, AccountConfig> = {};
  if (!isObject(raw) || Object.keys(raw).length === 0) {
    problems.at("accounts", `expected an object with at least one account, got ${describeValue(raw)}`);
    return accounts;
  }
  for (const [name, entry] of Object.entries(raw)) {
    const path = pathOf("accounts", name);
    if (!NAME.pattern.test(name)) {
      problems.at(path, `invalid name: expected ${NAME.expected}`);
      continue;
    }
    if (!isObject(entry)) {
      problems.at(path, `expected an object, got ${describeValue(entry)}`);
      continue;
    }
    const account = readAccount(name, entry, path, sources, problems);
    if (account !== undefined) accounts[name] = account;
  }
  return accounts;
}

function readAccount(
  name: string,
  obj: JsonObject,
  path: string,
  sources: ConfigSources,
  problems: Problems,
): AccountConfig | undefined {
  const before = problems.list.length;
  rejectUnknownKeys(obj, ACCOUNT_FIELDS, path, problems);
  for (const key of ["host", "port", "systemId"]) {
    if (obj[key] === undefined) problems.at(pathOf(path, key), "is required");
  }
  const tps = readNumber(obj, "tps", path, problems, 100, { min: 1, max: 10_000, unit: "msg/s" });
  const window = readNumber(obj, "window", path, problems, Math.min(10, 3 * tps), { min: 1, max: 1_000 });
  if (window > 3 * tps) {
    problems.at(
      pathOf(path, "window"),
      `${window} exceeds 3 × tps (${3 * tps}): a window above 2-3 × the bind's rate brings throttling and duplicates`,
    );
  }
  const reconnect = readReconnect(obj.reconnect, pathOf(path, "reconnect"), problems);
  const account: AccountConfig = {
    name,
    host: readString(obj, "host", path, problems, "", HOST),
    port: readNumber(obj, "port", path, problems, 0, { min: 1, max: 65_535 }),
    tls: readTls(obj.tls, pathOf(path, "tls"), sources, problems),
    systemId: readString(obj, "systemId", path, problems, "", SYSTEM_ID),
    password: readPassword(obj, path, sources, problems),
    systemType: readString(obj, "systemType", path, problems, "", SYSTEM_TYPE),
    bindMode: readEnum(obj, "bindMode", path, problems, BIND_MODES, "transceiver"),
    binds: readNumber(obj, "binds", path, problems, 1, { min: 1, max: 32 }),
    window,
    tps,
    responseTimeoutMs: readNumber(obj, "responseTimeoutMs", path, problems, 10_000, {
      min: 100,
      max: 120_000,
      unit: "ms",
    }),
    enquireLinkIntervalMs: readNumber(obj, "enquireLinkIntervalMs", path, problems, 30_000, {
      min: 500,
      max: 600_000,
      unit: "ms",
    }),
    notBoundWaitMs: readNumber(obj, "notBoundWaitMs", path, problems, 5_000, {
      min: 0,
      max: 60_000,
      unit: "ms",
    }),
    reconnect,
    outbind: readOutbind(obj.outbind, pathOf(path, "outbind"), sources, problems),
  };
  return problems.list.length > before ? undefined : account;
}

const OUTBIND_BIND_MODES = ["receiver", "transceiver"] as const;

/** `outbind`: a listener for the SMSC's outbind; absent or false = none. */
function readOutbind(
  raw: unknown,
  path: string,
  sources: ConfigSources,
  problems: Problems,
): OutbindConfig | undefined {
  if (raw === undefined || raw === false) return undefined;
  if (!isObject(raw)) {
    problems.at(path, `expected an object or false, got ${describeValue(raw)}`);
    return undefined;
  }
  rejectUnknownKeys(
    raw,
    ["host", "port", "systemId", "password", "passwordEnv", "bindMode", "maxConnections"],
    path,
    problems,
  );
  // No default address: where an SMSC may reach us is a decision, not a fallback.
  for (const key of ["host", "port", "systemId"]) {
    if (raw[key] === undefined) problems.at(pathOf(path, key), "is required");
  }
  return {
    host: readString(raw, "host", path, problems, "", HOST),
    port: readNumber(raw, "port", path, problems, 0, { min: 1, max: 65_535 }),
    smscSystemId: readString(raw, "systemId", path, problems, "", SYSTEM_ID),
    smscPassword: readPassword(raw, path, sources, problems),
    bindMode: readEnum(raw, "bindMode", path, problems, OUTBIND_BIND_MODES, "receiver"),
    maxConnections: readNumber(raw, "maxConnections", path, problems, 4, { min: 1, max: 64 }),
  };
}

/** SMPP 3.4 gives the bind's password 9 octets with its NUL: a longer one is refused (0x0E). */
const PASSWORD_RULE = "1 to 8 printable ASCII characters (SMPP 3.4)";
const fitsSmppPassword = (value: string): boolean => /^[\x20-\x7e]{1,8}$/.test(value);

/** `password` in the file, or `passwordEnv` naming the variable that holds it; never both. */
function readPassword(obj: JsonObject, path: string, sources: ConfigSources, problems: Problems): string {
  const inline = obj.password;
  const envName = obj.passwordEnv;
  if (inline !== undefined && envName !== undefined) {
    problems.at(path, "set password or passwordEnv, not both");
    return "";
  }
  if (envName !== undefined) {
    const name = readString(obj, "passwordEnv", path, problems, "", ENV_NAME);
    const value = name === "" ? undefined : sources.env[name];
    if (name !== "" && (value === undefined || value === "")) {
      problems.at(pathOf(path, "passwordEnv"), `environment variable ${name} is not set`);
    } else if (value !== undefined && !fitsSmppPassword(value)) {
      problems.at(pathOf(path, "passwordEnv"), `${name} must hold ${PASSWORD_RULE}`);
    }
    return value ?? "";
  }
  // Never echo a password back in a problem message.
  if (typeof inline !== "string" || !fitsSmppPassword(inline)) {
    problems.at(pathOf(path, "password"), `is required: ${PASSWORD_RULE} (or use passwordEnv)`);
    return "";
  }
  return inline;
}

function readTls(raw: unknown, path: string, sources: ConfigSources, problems: Problems) {
  if (raw === undefined || raw === false) return undefined;
  if (raw === true) return { rejectUnauthorized: true };
  if (!isObject(raw)) {
    problems.at(path, `expected true, false or an object, got ${describeValue(raw)}`);
    return undefined;
  }
  rejectUnknownKeys(raw, ["caFile", "servername", "rejectUnauthorized"], path, problems);
  const rejectUnauthorized = readBoolean(raw, "rejectUnauthorized", path, problems, true);
  const servername =
    raw.servername === undefined ? undefined : readString(raw, "servername", path, problems, "", HOST);
  let ca: string | undefined;
  if (raw.caFile !== undefined) {
    if (typeof raw.caFile !== "string" || raw.caFile === "") {
      problems.at(pathOf(path, "caFile"), `expected a file path, got ${describeValue(raw.caFile)}`);
    } else {
      try {
        ca = sources.readFile(raw.caFile);
      } catch (err) {
        problems.at(
          pathOf(path, "caFile"),
          `cannot read ${raw.caFile}: ${err instanceof Error ? err.message : "error"}`,
        );
      }
    }
  }
  return { rejectUnauthorized, ...(servername ? { servername } : {}), ...(ca ? { ca } : {}) };
}

function readReconnect(raw: unknown, path: string, problems: Problems): { initialMs: number; maxMs: number } {
  const defaults = { initialMs: 500, maxMs: 30_000 };
  if (raw === undefined) return defaults;
  if (!isObject(raw)) {
    problems.at(path, `expected an object, got ${describeValue(raw)}`);
    return defaults;
  }
  rejectUnknownKeys(raw, ["initialMs", "maxMs"], path, problems);
  const initialMs = readNumber(raw, "initialMs", path, problems, defaults.initialMs, {
    min: 10,
    max: 60_000,
    unit: "ms",
  });
  const maxMs = readNumber(raw, "maxMs", path, problems, defaults.maxMs, {
    min: 10,
    max: 600_000,
    unit: "ms",
  });
  if (maxMs < initialMs) problems.at(pathOf(path, "maxMs"), `${maxMs} is below initialMs (${initialMs})`);
  return { initialMs, maxMs };
}
