/**
 * `silent.gateways`: each operator's Open Gateway registration for CAMARA Number Verification.
 * The client secret must arrive sealed, never in clear: a policy file is read by every service
 * and copied around more than a secret should be.
 */
import {
  describeSecret,
  Problems,
  pathOf,
  readBoolean,
  readList,
  readNamedEntries,
  readObject,
  readSection,
  readString,
  rejectUnknownKeys,
  stringProblem,
  type JsonObject,
} from "../json/json-reader";
import { DEFAULT_POLICY } from "./defaults";
import type { SilentGateway, SilentSettings } from "./types";

export const GATEWAY_NAME = {
  pattern: /^[a-z0-9][a-z0-9_-]{0,39}$/,
  expected: "a gateway name such as telkomsel-og",
};
const OPERATOR_ID = {
  pattern: /^[a-z]{2}-[a-z0-9-]{1,40}$/,
  expected: 'an operator id such as "id-telkomsel"',
};
const HTTP_URL = { pattern: /^https?:\/\/[^\s?#]+$/, expected: "an http(s) URL without query or fragment" };
const CLIENT_ID = { pattern: /^[\x21-\x7e]{1,200}$/, expected: "1-200 printable characters" };
const SEALED_SECRET = {
  pattern: /^sealed:[A-Za-z0-9._-]{1,64}:[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/,
  expected: "a sealed secret (sealed:<keyId>:<iv>.<ciphertext>.<tag>, see services/silent/README.md)",
  // A plaintext secret put here by mistake must not reach the error, and with it the logs.
  describe: describeSecret,
};
const KEYS = [
  "operators",
  "authorizeUrl",
  "tokenUrl",
  "verifyUrl",
  "clientId",
  "clientSecret",
  "redirectUri",
  "hashPhoneNumber",
];
const REQUIRED = KEYS.filter((k) => k !== "hashPhoneNumber");

function readGateway(raw: unknown, path: string, problems: Problems): SilentGateway | undefined {
  const obj = readObject(raw, path, problems);
  if (!obj) return undefined;
  rejectUnknownKeys(obj, KEYS, path, problems);
  const before = problems.list.length;
  for (const key of REQUIRED) if (obj[key] === undefined) problems.at(pathOf(path, key), "is required");
  const url = (key: string) => readString(obj, key, path, problems, "", HTTP_URL);
  const gateway: SilentGateway = {
    operators: readList<string>(obj, "operators", path, problems, [], (o) => stringProblem(o, OPERATOR_ID)),
    authorizeUrl: url("authorizeUrl"),
    tokenUrl: url("tokenUrl"),
    verifyUrl: url("verifyUrl"),
    clientId: readString(obj, "clientId", path, problems, "", CLIENT_ID),
    clientSecret: readString(obj, "clientSecret", path, problems, "", SEALED_SECRET),
    redirectUri: url("redirectUri"),
    hashPhoneNumber: readBoolean(obj, "hashPhoneNumber", path, problems, false),
  };
  if (gateway.operators.length === 0 && Array.isArray(obj.operators))
    problems.at(pathOf(path, "operators"), "list at least one operator");
  if (gateway.verifyUrl && !/\/number-verification\/v[0-9][^/]*\/verify$/.test(gateway.verifyUrl)) {
    problems.at(pathOf(path, "verifyUrl"), "expected CAMARA's …/number-verification/v<version>/verify");
  }
  return problems.list.length > before ? undefined : gateway;
}

export function readSilent(root: JsonObject, problems: Problems): SilentSettings {
  const silent = readSection(root, "silent", "", problems, ["gateways"]);
  const gateways = readNamedEntries(
    silent,
    "gateways",
    "silent",
    problems,
    DEFAULT_POLICY.silent.gateways,
    GATEWAY_NAME,
    (raw, p) => readGateway(raw, p, problems),
  );
  // One operator, one gateway: which client registration a number uses must not be a coin toss.
  const owner = new Map<string, string>();
  for (const [name, g] of Object.entries(gateways)) {
    for (const op of g.operators) {
      const other = owner.get(op);
      if (other)
        problems.at(
          pathOf(pathOf("silent.gateways", name), "operators"),
          `${op} is already served by ${other}`,
        );
      else owner.set(op, name);
    }
  }
  return { gateways };
}

/** The gateway serving a number's operator, if the tenant has one. */
export function gatewayForOperator(
  settings: SilentSettings,
  operator: string,
): { name: string; gateway: SilentGateway } | undefined {
  if (!operator) return undefined;
  for (const [name, gateway] of Object.entries(settings.gateways)) {
    if (gateway.operators.includes(operator)) return { name, gateway };
  }
  return undefined;
}
