/** Tenant policy: purposes, workflows, limits, fraud rules, incident relief, senders. */
export * from "./types";
export { DEFAULT_POLICY, DEFAULT_WORKFLOWS, HOME_COUNTRIES, purposeDefaults } from "./defaults";
export { validatePolicy, type PolicyResult, type ValidateOptions } from "./validate";
export { effectivePurposeRules, purposeRules, type EffectivePurposeRules } from "./effective";
export { createPolicyBook, validatePolicyFile, type PolicyBook, type PolicyBookResult } from "./policy-book";
export { resolveLocale } from "./locale";
export { channelFromProto, channelToProto, plannedSteps, riskTierToProto } from "./proto";
// The file loader (node:fs) is imported from "@platform/files/load-policy" by the services that read files.
export { gatewayForOperator } from "./read-silent";
