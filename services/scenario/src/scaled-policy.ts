/**
 * The tenant policy a strategy runs under, with time compressed: step timeouts, the code's
 * lifetime and the resend cooldown are multiplied by the scale, then held within the policy's
 * validated bounds (a step ≥ 5 s, a code ≥ 30 s and long enough for the first channel to send
 * it, a cooldown ≥ 10 s). Where a bound holds a value
 * up, that step is longer in scenario time than written; `timeNotes` says so in the report.
 */
import { DEFAULT_WORKFLOWS } from "@domain/policy/defaults";
import { minTtlForFirstStep, PURPOSE_BOUNDS } from "@domain/policy/read-purposes";
import { STEP_TIMEOUT } from "@domain/policy/read-workflows";
import type { WorkflowStep } from "@domain/policy/types";
import type { ScenarioFile, Strategy } from "./scenario-file";

const SCENARIO_TTL_SECONDS = 300;
const SCENARIO_COOLDOWN_SECONDS = 30;

export function workflowOf(strategy: Strategy): WorkflowStep[] {
  if (typeof strategy.workflow !== "string") return strategy.workflow;
  const named = DEFAULT_WORKFLOWS[strategy.workflow];
  if (named === undefined) throw new Error(`strategy ${strategy.id}: no workflow "${strategy.workflow}"`);
  return named;
}

const scaled = (seconds: number, scale: number, min: number): number =>
  Math.max(min, Math.ceil(seconds * scale));

const minTtl = (strategy: Strategy): number =>
  Math.max(PURPOSE_BOUNDS.ttlSeconds.min, minTtlForFirstStep(workflowOf(strategy)));

/** The tenant's contracted rate, if the scenario sets one, in scenario seconds. */
function tenantRate(s: ScenarioFile): { requestsPerSecond: number; burst: number } | undefined {
  const limits = s.policy?.limits as
    { perTenant?: { requestsPerSecond?: number; burst?: number } } | undefined;
  const rate = limits?.perTenant?.requestsPerSecond;
  return rate === undefined
    ? undefined
    : { requestsPerSecond: rate, burst: limits?.perTenant?.burst ?? rate };
}

/**
 * A rate per scenario second is a higher rate per wall second: the tenant's requests per second
 * are divided by the scale (the burst, a count, stays as written unless the rate overtakes it).
 */
function scaledLimits(s: ScenarioFile, scale: number): Record<string, unknown> | undefined {
  const limits = s.policy?.limits as Record<string, unknown> | undefined;
  const rate = tenantRate(s);
  if (rate === undefined) return limits;
  const requestsPerSecond = Math.ceil(rate.requestsPerSecond / scale);
  return { ...limits, perTenant: { requestsPerSecond, burst: Math.max(rate.burst, requestsPerSecond) } };
}

export function tenantPolicy(s: ScenarioFile, strategy: Strategy, scale: number): Record<string, unknown> {
  const limits = scaledLimits(s, scale);
  const steps = workflowOf(strategy).map((step) => ({
    ...step,
    timeoutSeconds: scaled(step.timeoutSeconds, scale, STEP_TIMEOUT.min),
  }));
  return {
    ...s.policy,
    ...(limits === undefined ? {} : { limits }),
    purposes: {
      [s.purpose]: {
        workflow: "scenario",
        ttlSeconds: scaled(SCENARIO_TTL_SECONDS, scale, minTtl(strategy)),
        resendCooldownSeconds: scaled(
          SCENARIO_COOLDOWN_SECONDS,
          scale,
          PURPOSE_BOUNDS.resendCooldownSeconds.min,
        ),
      },
    },
    workflows: { scenario: steps },
  };
}

/** What compression did to each timing, in scenario seconds, for the report. */
export function timeNotes(s: ScenarioFile, strategy: Strategy, scale: number): string[] {
  const note = (what: string, seconds: number, min: number): string => {
    const wall = scaled(seconds, scale, min);
    const effective = wall / scale;
    return effective > seconds + 0.5
      ? `${what} ${seconds} s → ${wall} s wall (bound ${min} s), i.e. ${effective.toFixed(0)} s in scenario time`
      : `${what} ${seconds} s → ${wall} s wall`;
  };
  const rate = tenantRate(s);
  return [
    ...(rate === undefined
      ? []
      : [
          `tenant rate ${rate.requestsPerSecond}/s → ${Math.ceil(rate.requestsPerSecond / scale)}/s wall, burst ${Math.max(rate.burst, Math.ceil(rate.requestsPerSecond / scale))}`,
        ]),
    ...workflowOf(strategy).map((step, i) =>
      note(`step ${i + 1} ${step.channel} timeout`, step.timeoutSeconds, STEP_TIMEOUT.min),
    ),
    note("code TTL", SCENARIO_TTL_SECONDS, minTtl(strategy)),
    note("resend cooldown", SCENARIO_COOLDOWN_SECONDS, PURPOSE_BOUNDS.resendCooldownSeconds.min),
  ];
}
