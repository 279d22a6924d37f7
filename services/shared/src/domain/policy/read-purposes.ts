/**
 * Purposes: what a code for "login" or "transaction" may be. Bounds cite their source; the
 * checks that need workflows too (checkPurposes) run once both are read.
 */
import {
  Problems,
  pathOf,
  readBoolean,
  readEnum,
  readNamedEntries,
  readNumber,
  readString,
  rejectUnknownKeys,
  type JsonObject,
  readObject,
  readList,
} from "../json/json-reader";
import { DEFAULT_POLICY, purposeDefaults } from "./defaults";
import {
  CHANNELS,
  RISK_TIERS,
  type ChannelName,
  type PurposeRules,
  type RiskTierName,
  type WorkflowStep,
} from "./types";

export const NAME_RULE = {
  pattern: /^[a-z][a-z0-9_]{0,39}$/,
  expected: "a lowercase name such as change_phone",
};

export const MAX_TTL_SECONDS = 600;

export const PURPOSE_BOUNDS = {
  // Below 6 digits a code carries fewer than 20 bits of entropy (NIST SP 800-63B §5.1.3.2), for
  // every purpose: a low-risk signup is still an account someone can take over.
  codeLength: { min: 6, max: 10, minWhy: "NIST SP 800-63B: at least 20 bits of entropy" },
  ttlSeconds: {
    min: 30,
    max: MAX_TTL_SECONDS,
    unit: "s",
    maxWhy: "NIST SP 800-63B",
    minWhy: "WhatsApp authentication messages live at least 30 s",
  },
  maxChecks: { min: 1, max: 5, maxWhy: "PSD2 RTS Art. 4(3)(b)" },
  maxSends: { min: 1, max: 5 },
  resendCooldownSeconds: { min: 10, max: 300, unit: "s" },
} as const;

const PURPOSE_KEYS = [
  "riskTier",
  "codeLength",
  "ttlSeconds",
  "maxChecks",
  "maxSends",
  "resendCooldownSeconds",
  "codePerAttempt",
  "requireTransactionBinding",
  "workflow",
  "allowedChannels",
];

function readPurpose(
  raw: unknown,
  path: string,
  name: string,
  base: PurposeRules | undefined,
  problems: Problems,
): PurposeRules | undefined {
  const obj = readObject(raw, path, problems);
  if (!obj) return undefined;
  rejectUnknownKeys(obj, PURPOSE_KEYS, path, problems);
  if (!base && obj.riskTier === undefined) {
    problems.at(pathOf(path, "riskTier"), "is required for a purpose without defaults");
  }
  const riskTier = readEnum<RiskTierName>(
    obj,
    "riskTier",
    path,
    problems,
    RISK_TIERS,
    base?.riskTier ?? "high",
  );
  // A tier change re-derives tier-dependent defaults (workflow); explicit fields still win.
  const defaults = base && base.riskTier === riskTier ? base : purposeDefaults(name, riskTier);
  const num = (key: keyof typeof PURPOSE_BOUNDS) =>
    readNumber(obj, key, path, problems, defaults[key], PURPOSE_BOUNDS[key]);
  return {
    riskTier,
    codeLength: num("codeLength"),
    ttlSeconds: num("ttlSeconds"),
    maxChecks: num("maxChecks"),
    maxSends: num("maxSends"),
    resendCooldownSeconds: num("resendCooldownSeconds"),
    codePerAttempt: readBoolean(obj, "codePerAttempt", path, problems, defaults.codePerAttempt),
    requireTransactionBinding: readBoolean(
      obj,
      "requireTransactionBinding",
      path,
      problems,
      defaults.requireTransactionBinding,
    ),
    workflow: readString(obj, "workflow", path, problems, defaults.workflow, NAME_RULE),
    allowedChannels: readList<ChannelName>(
      obj,
      "allowedChannels",
      path,
      problems,
      defaults.allowedChannels,
      (c) =>
        typeof c === "string" && (CHANNELS as readonly string[]).includes(c)
          ? undefined
          : `expected one of ${CHANNELS.join(", ")}`,
    ),
  };
}

export function readPurposes(root: JsonObject, problems: Problems): Record<string, PurposeRules> {
  return readNamedEntries(
    root,
    "purposes",
    "",
    problems,
    DEFAULT_POLICY.purposes,
    NAME_RULE,
    (raw, path, name, base) => readPurpose(raw, path, name, base, problems),
  );
}

/**
 * The life a code must still have when a channel sends it: WhatsApp authentication messages
 * live at least 30 s (Meta's shortest message TTL; the connector refuses to send a code with
 * less left), SMS and voice need none beyond the routing margin, nor a silent step.
 */
const MIN_CODE_LIFE_AT_SEND_SECONDS: Record<ChannelName, number> = {
  whatsapp: 30,
  sms: 0,
  voice: 0,
  // The network check sends no code.
  silent: 0,
};
/** From a start to its first send, queueing under load included, and routing's own 5 s margin. */
const FIRST_SEND_MARGIN_SECONDS = 15;

/** The shortest TTL that lets a workflow's first channel send its code. */
export function minTtlForFirstStep(steps: readonly WorkflowStep[]): number {
  const first = steps[0];
  return first ? MIN_CODE_LIFE_AT_SEND_SECONDS[first.channel] + FIRST_SEND_MARGIN_SECONDS : 0;
}

/** Checks between a purpose and its workflow: it exists, fits the send cap and the code's life. */
function checkWorkflowFit(
  name: string,
  rules: PurposeRules,
  workflows: Record<string, WorkflowStep[]>,
  problems: Problems,
): void {
  const path = pathOf("purposes", name);
  const steps = workflows[rules.workflow];
  if (!steps) {
    const known = Object.keys(workflows).sort().join(", ");
    problems.at(pathOf(path, "workflow"), `unknown workflow "${rules.workflow}" (defined: ${known})`);
    return;
  }
  if (steps.length > rules.maxSends) {
    problems.at(
      pathOf(path, "maxSends"),
      `${rules.maxSends} is fewer than the ${steps.length} steps of workflow "${rules.workflow}"`,
    );
  }
  const allowed = rules.allowedChannels;
  if (allowed.length > 0 && !steps.some((s) => allowed.includes(s.channel))) {
    problems.at(
      pathOf(path, "allowedChannels"),
      `none of ${allowed.join(", ")} is a step of workflow "${rules.workflow}"`,
    );
  }
  // Else the first channel is skipped (or refuses) on every verification of the purpose.
  const firstNeeds = minTtlForFirstStep(steps);
  if (steps[0] && rules.ttlSeconds < firstNeeds) {
    problems.at(
      pathOf(path, "ttlSeconds"),
      `${rules.ttlSeconds} s is too short for the first step (${steps[0].channel}) of workflow ` +
        `"${rules.workflow}": it needs at least ${firstNeeds} s (${MIN_CODE_LIFE_AT_SEND_SECONDS[steps[0].channel]} s ` +
        `of code life when sent, ${FIRST_SEND_MARGIN_SECONDS} s to send it)`,
    );
  }
  let startsAfter = 0;
  for (const [i, step] of steps.entries()) {
    if (startsAfter >= rules.ttlSeconds) {
      problems.at(
        pathOf(path, "ttlSeconds"),
        `the code expires after ${rules.ttlSeconds} s, before step ${i + 1} (${step.channel}) of workflow ` +
          `"${rules.workflow}" starts at ${startsAfter} s`,
      );
      return;
    }
    startsAfter += step.timeoutSeconds;
  }
}

export function checkPurposes(
  purposes: Record<string, PurposeRules>,
  workflows: Record<string, WorkflowStep[]>,
  problems: Problems,
): void {
  if (Object.keys(purposes).length === 0) problems.at("purposes", "at least one purpose is required");
  for (const [name, rules] of Object.entries(purposes)) {
    checkWorkflowFit(name, rules, workflows, problems);
  }
}
