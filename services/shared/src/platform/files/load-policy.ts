/** Loading a policy file: the only I/O of the policy module. */
import { OtpError } from "@domain/errors";
import { readJsonFile } from "./load-numbering";
import { validatePolicyFile, type PolicyBook } from "@domain/policy/policy-book";
import type { ValidateOptions } from "@domain/policy/validate";

/** Reads and validates a policy file; throws CONFIG_INVALID listing every problem. */
export function loadPolicies(path: string, options: ValidateOptions = {}): PolicyBook {
  const result = validatePolicyFile(readJsonFile(path), options);
  if (result.ok) return result.book;
  throw new OtpError("CONFIG_INVALID", `${path}: invalid policy:\n  ${result.problems.join("\n  ")}`);
}
