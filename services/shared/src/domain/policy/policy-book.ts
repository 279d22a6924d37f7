/**
 * A policy file holds a default policy and per-tenant policies. Tenants inherit from the
 * file's default (objects merge field by field, lists and values replace, null removes a
 * purpose, workflow or locale), which inherits from the built-in defaults.
 */
import { describeValue, isObject, pathOf, type JsonObject } from "../json/json-reader";
import { validatePolicy, type ValidateOptions } from "./validate";
import type { TenantPolicy } from "./types";

export interface PolicyBook {
  /** The tenant's policy, or the default one for a tenant without its own. */
  policyFor(tenant: string): TenantPolicy;
  readonly defaultPolicy: TenantPolicy;
  readonly tenants: readonly string[];
}

export type PolicyBookResult = { ok: true; book: PolicyBook } | { ok: false; problems: string[] };

const TENANT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** `overlay` over `base`: objects merge recursively, anything else in the overlay replaces. */
export function mergeJson(base: unknown, overlay: unknown): unknown {
  if (overlay === undefined) return base;
  if (!isObject(base) || !isObject(overlay)) return overlay;
  const merged: JsonObject = { ...base };
  for (const [key, value] of Object.entries(overlay)) merged[key] = mergeJson(base[key], value);
  return merged;
}

export function createPolicyBook(
  defaultPolicy: TenantPolicy,
  tenants: Record<string, TenantPolicy>,
): PolicyBook {
  const byTenant = new Map(Object.entries(tenants));
  return {
    defaultPolicy,
    tenants: [...byTenant.keys()].sort(),
    policyFor: (tenant) => byTenant.get(tenant) ?? defaultPolicy,
  };
}

const prefixed = (prefix: string, problems: string[]) => problems.map((p) => pathOf(prefix, p));

/** Validates a whole policy file: `{ "default": {...}, "tenants": { "bank-a": {...} } }`. */
export function validatePolicyFile(json: unknown, options: ValidateOptions = {}): PolicyBookResult {
  if (!isObject(json)) return { ok: false, problems: [`expected an object, got ${describeValue(json)}`] };
  const unknown = Object.keys(json).filter((k) => k !== "default" && k !== "tenants");
  const problems = unknown.map((k) => `${k}: unknown field (expected one of default, tenants)`);
  const defaultJson = json.default ?? {};
  const fallback = validatePolicy(defaultJson, options);
  // Tenants inherit from the default: its problems are reported once, under "default".
  if (!fallback.ok) return { ok: false, problems: [...problems, ...prefixed("default", fallback.problems)] };
  const tenantsJson = json.tenants ?? {};
  if (!isObject(tenantsJson)) {
    return {
      ok: false,
      problems: [...problems, `tenants: expected an object, got ${describeValue(tenantsJson)}`],
    };
  }
  const tenants: Record<string, TenantPolicy> = {};
  for (const [name, tenantJson] of Object.entries(tenantsJson)) {
    const path = pathOf("tenants", name);
    if (!TENANT_NAME.test(name)) {
      problems.push(`${path}: invalid tenant name (letters, digits, . _ -, up to 64)`);
      continue;
    }
    if (!isObject(tenantJson)) {
      problems.push(`${path}: expected an object, got ${describeValue(tenantJson)}`);
      continue;
    }
    const result = validatePolicy(mergeJson(defaultJson, tenantJson), options);
    if (result.ok) tenants[name] = result.policy;
    else problems.push(...prefixed(path, result.problems));
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, book: createPolicyBook(fallback.policy, tenants) };
}
