/**
 * Reads the `messages` section: `default` (over the built-in templates) and per-tenant
 * overrides (over `default`), each `{ brand?, appHash?, templates? }`.
 */
import {
  Problems,
  describeValue,
  isObject,
  pathOf,
  rejectUnknownKeys,
  stringProblem,
  type JsonObject,
} from "@domain/json/json-reader";
import { DEFAULT_TEMPLATES, templateProblem } from "../messages/templates";
import type { TenantMessages } from "./gateway-config";
import { NAME } from "./parse-accounts";

const LANGUAGE = { pattern: /^[a-z]{2,3}$/, expected: 'a language code such as "id" or "fil"' };
// The SMS Retriever hash: 11 characters of base64 (Android's AppSignatureHelper output).
const APP_HASH = { pattern: /^[A-Za-z0-9+/]{11}$/, expected: "the 11-character SMS Retriever app hash" };
const BRAND = { pattern: /^[^\s{}<>][^{}<>]{0,29}$/u, expected: "1 to 30 characters, no braces or < >" };

export function readMessages(
  raw: unknown,
  problems: Problems,
): { default: TenantMessages; tenants: Record<string, TenantMessages> } {
  const builtIn: TenantMessages = {
    brand: undefined,
    appHash: undefined,
    templates: { ...DEFAULT_TEMPLATES },
  };
  if (raw === undefined) return { default: builtIn, tenants: {} };
  if (!isObject(raw)) {
    problems.at("messages", `expected an object, got ${describeValue(raw)}`);
    return { default: builtIn, tenants: {} };
  }
  rejectUnknownKeys(raw, ["default", "tenants"], "messages", problems);
  const fallback = readTenantMessages(raw.default, "messages.default", builtIn, problems);
  const tenants: Record<string, TenantMessages> = {};
  const tenantsRaw = raw.tenants ?? {};
  if (!isObject(tenantsRaw)) {
    problems.at("messages.tenants", `expected an object, got ${describeValue(tenantsRaw)}`);
    return { default: fallback, tenants };
  }
  for (const [tenant, entry] of Object.entries(tenantsRaw)) {
    const path = pathOf("messages.tenants", tenant);
    if (!NAME.pattern.test(tenant)) problems.at(path, `invalid tenant name: expected ${NAME.expected}`);
    else tenants[tenant] = readTenantMessages(entry, path, fallback, problems);
  }
  return { default: fallback, tenants };
}

function readTenantMessages(
  raw: unknown,
  path: string,
  base: TenantMessages,
  problems: Problems,
): TenantMessages {
  if (raw === undefined) return base;
  if (!isObject(raw)) {
    problems.at(path, `expected an object, got ${describeValue(raw)}`);
    return base;
  }
  rejectUnknownKeys(raw, ["brand", "appHash", "templates"], path, problems);
  return {
    brand: readOptional(raw, "brand", path, problems, BRAND, templateLinkProblem) ?? base.brand,
    appHash:
      raw.appHash === null
        ? undefined
        : (readOptional(raw, "appHash", path, problems, APP_HASH) ?? base.appHash),
    templates: { ...base.templates, ...readTemplates(raw.templates, pathOf(path, "templates"), problems) },
  };
}

function templateLinkProblem(brand: string): string | undefined {
  return templateProblem(`{code} ${brand}`);
}

function readOptional(
  obj: JsonObject,
  key: string,
  path: string,
  problems: Problems,
  rule: { pattern: RegExp; expected: string },
  extra?: (value: string) => string | undefined,
): string | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  const problem = stringProblem(value, rule) ?? extra?.(value as string);
  if (problem === undefined) return value as string;
  problems.at(pathOf(path, key), problem);
  return undefined;
}

function readTemplates(raw: unknown, path: string, problems: Problems): Record<string, string> {
  if (raw === undefined) return {};
  if (!isObject(raw)) {
    problems.at(path, `expected an object of language → template, got ${describeValue(raw)}`);
    return {};
  }
  const templates: Record<string, string> = {};
  for (const [language, template] of Object.entries(raw)) {
    const entryPath = pathOf(path, language);
    const problem =
      stringProblem(language, LANGUAGE) !== undefined
        ? `invalid language: expected ${LANGUAGE.expected}`
        : typeof template !== "string"
          ? `expected a template string, got ${describeValue(template)}`
          : templateProblem(template);
    if (problem !== undefined) problems.at(entryPath, problem);
    else templates[language] = template as string;
  }
  return templates;
}
