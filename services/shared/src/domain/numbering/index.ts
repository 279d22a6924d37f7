/** Numbering plan: E.164 parsing, number type and operator by prefix, as data. */
export * from "./types";
export { parseE164 } from "./parse";
export { classify } from "./classify";
export { SHIPPED_PLAN } from "./shipped";
export { SHIPPED_PLAN_DATA, DETAILED_COUNTRIES } from "./data";
export { indexPlan, type NumberingPlan } from "./plan";
export { buildNumberingPlan, type PlanResult } from "./build";
// The file loader (node:fs) is imported from "@platform/files/load-numbering" by the services that read files.
