/** Loading a policy file: the only I/O of the policy module. */
import { OtpError } from "../errors";
import { readJsonFile } from "../numbering/load";
import { validatePolicyFile, type PolicyBook } from "./policy-book";
import type { ValidateOptions } from "./validate";

/** Reads and validates a policy file; throws CONFIG_INVALID listing every problem. */
export function loadPolicies(path: string, options: ValidateOptions = {}): PolicyBook {
  const result = validatePolicyFile(readJsonFile(path), options);
  if (result.ok) return result.book;
  throw new OtpError("CONFIG_INVALID", `${path}: invalid policy:\n  ${result.problems.join("\n  ")}`);
}
