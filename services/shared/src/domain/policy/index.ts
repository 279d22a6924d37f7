/** Tenant policy: purposes, workflows, limits, fraud rules, incident relief, senders. */
export * from "./types";
export { DEFAULT_POLICY } from "./defaults";
export { effectivePurposeRules, type EffectivePurposeRules } from "./effective";
export { createPolicyBook, type PolicyBook } from "./policy-book";
export { resolveLocale } from "./locale";
export { riskTierToProto } from "./proto";
// The file loader (node:fs) is imported from "@platform/files/load-policy" by the services that read files.
