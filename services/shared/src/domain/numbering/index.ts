/** Numbering plan: E.164 parsing, number type and operator by prefix, as data. */
export * from "./types";
export { parseE164 } from "./parse";
export { classify } from "./classify";
export { type NumberingPlan } from "./plan";
// The file loader (node:fs) is imported from "@platform/files/load-numbering" by the services that read files.
