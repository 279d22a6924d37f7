/**
 * validatePolicy: untrusted JSON → a complete TenantPolicy (defaults applied), or every problem
 * found, each with its path. The result is deeply frozen: policies are shared values.
 */
import { deepFreeze } from "./defaults";
import { Problems, readObject, rejectUnknownKeys } from "../json/json-reader";
import { readFraud, readIncident } from "./read-fraud";
import { readGeo, readLimits } from "./read-limits";
import { checkPurposes, readPurposes } from "./read-purposes";
import { readSenders } from "./read-senders";
import { readWorkflows } from "./read-workflows";
import { readSilent } from "./read-silent";
import type { TenantPolicy } from "./types";

export type PolicyResult = { ok: true; policy: TenantPolicy } | { ok: false; problems: string[] };

export interface ValidateOptions {
  /** Countries of the numbering plan in use; allowed countries must be among them. */
  knownCountries?: ReadonlySet<string>;
}

const SECTIONS = [
  "purposes",
  "workflows",
  "limits",
  "geo",
  "fraud",
  "incident",
  "senders",
  "silent",
] as const;

export function validatePolicy(json: unknown, options: ValidateOptions = {}): PolicyResult {
  const problems = new Problems();
  const root = readObject(json, "", problems);
  if (!root) return { ok: false, problems: problems.list };
  rejectUnknownKeys(root, SECTIONS, "", problems);
  const policy: TenantPolicy = {
    purposes: readPurposes(root, problems),
    workflows: readWorkflows(root, problems),
    limits: readLimits(root, problems),
    geo: readGeo(root, problems, options.knownCountries),
    fraud: readFraud(root, problems),
    incident: readIncident(root, problems),
    senders: readSenders(root, problems),
    silent: readSilent(root, problems),
  };
  checkPurposes(policy.purposes, policy.workflows, problems);
  if (!problems.empty) return { ok: false, problems: problems.list };
  // A copy, so freezing never touches the shared defaults the policy was built from.
  return { ok: true, policy: deepFreeze(structuredClone(policy)) };
}
