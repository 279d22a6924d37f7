/** Workflows: ordered channel steps, each with the condition and time that hand over to the next. */
import {
  Problems,
  pathOf,
  readEnum,
  readNamedEntries,
  readNumber,
  readObject,
  readString,
  rejectUnknownKeys,
  describeValue,
  type JsonObject,
} from "../json/json-reader";
import { DEFAULT_POLICY } from "./defaults";
import { NAME_RULE } from "./read-purposes";
import { ADVANCE_CONDITIONS, CHANNELS, type WorkflowStep } from "./types";

const MAX_STEPS = 5;
/** Vonage Verify allows 15–900 s per channel; a step shorter than 5 s cannot see a receipt. */
export const STEP_TIMEOUT = { min: 5, max: 900, unit: "s" } as const;
const ROUTE_RULE = {
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
  expected: "a route name such as smpp-telkomsel",
};

function readStep(raw: unknown, path: string, problems: Problems): WorkflowStep | undefined {
  const obj = readObject(raw, path, problems);
  if (!obj) return undefined;
  rejectUnknownKeys(obj, ["channel", "route", "timeoutSeconds", "advanceWhen"], path, problems);
  const before = problems.list.length;
  for (const key of ["channel", "timeoutSeconds", "advanceWhen"]) {
    if (obj[key] === undefined) problems.at(pathOf(path, key), "is required");
  }
  const step: WorkflowStep = {
    channel: readEnum(obj, "channel", path, problems, CHANNELS, "sms"),
    timeoutSeconds: readNumber(obj, "timeoutSeconds", path, problems, 0, STEP_TIMEOUT),
    advanceWhen: readEnum(obj, "advanceWhen", path, problems, ADVANCE_CONDITIONS, "not_delivered"),
  };
  const route = readString(obj, "route", path, problems, "", ROUTE_RULE);
  if (route) step.route = route;
  return problems.list.length > before ? undefined : step;
}

function readSteps(raw: unknown, path: string, problems: Problems): WorkflowStep[] | undefined {
  if (!Array.isArray(raw)) {
    problems.at(path, `expected a list of steps, got ${describeValue(raw)}`);
    return undefined;
  }
  const items: unknown[] = raw;
  if (items.length === 0) problems.at(path, "a workflow needs at least one step");
  if (items.length > MAX_STEPS) problems.at(path, `${items.length} steps exceed the maximum of ${MAX_STEPS}`);
  const steps = items.map((item, i) => readStep(item, pathOf(path, i), problems));
  // Network authentication must run while the app is still waiting on it (Vonage Verify v2
  // likewise takes silent_auth only as the first step): later, a code is already on its way.
  steps.forEach((step, i) => {
    if (step?.channel === "silent" && i > 0)
      problems.at(pathOf(pathOf(path, i), "channel"), "silent can only be the first step");
  });
  return steps.every((s): s is WorkflowStep => s !== undefined) && steps.length > 0 ? steps : undefined;
}

export function readWorkflows(root: JsonObject, problems: Problems): Record<string, WorkflowStep[]> {
  return readNamedEntries(root, "workflows", "", problems, DEFAULT_POLICY.workflows, NAME_RULE, (raw, path) =>
    readSteps(raw, path, problems),
  );
}
