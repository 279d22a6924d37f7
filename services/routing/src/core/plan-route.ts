/**
 * The order a verification's channels are tried in. Rules, applied in this order:
 *
 * 1. `workflow:<purpose>/<tier>`: the tenant's workflow for the purpose.
 * 2. `preference:<channel>`: the channel the user asked for goes first, if the workflow has it.
 * 3. `incident:<id>`: channels of an incident an operator declared for the district go last.
 * 4. `district-reorder:<channel>-down`: channels whose health is down in the district go last
 *    (WhatsApp collapsing in a blackout → SMS first there). A small, stable share of
 *    verifications keeps the order instead (`district-probe:…`), so recovery is seen: without
 *    traffic a down channel would never show it works again.
 *
 * 5. `district-skip:silent-down` / `incident-skip:silent`: a silent step only makes sense first
 *    (the app is waiting on it); where it is down or under an incident it is left out instead of
 *    moved back, so the first code goes out at once. Probes keep it, as for other channels.
 *
 * Last-resort channels (voice) at the end of the workflow stay there whatever happens. If every
 * other channel would go last, the order stays as it is: there is nothing better to try first.
 */
import { describeFigures } from "./health-text";
import { stableFraction } from "./fraction";
import type {
  ChannelName,
  Decision,
  HealthFigures,
  HealthView,
  IncidentView,
  PlanStep,
  RoutingSettings,
  Workflow,
} from "./types";

export interface PlanInput {
  verificationId: string;
  workflow: Workflow;
  purpose: string;
  riskTier: string;
  district: string;
  preference?: ChannelName;
  health: HealthView;
  incidents: readonly IncidentView[];
  settings: RoutingSettings;
  now: number;
}

export interface PlannedRoute {
  steps: PlanStep[];
  decision: Decision;
}

interface Reordering {
  steps: PlanStep[];
  rule: string;
  reason: string;
}

export function planRoute(input: PlanInput): PlannedRoute {
  const base: Reordering = {
    steps: [...input.workflow.steps],
    rule: `workflow:${input.purpose}/${input.riskTier}`,
    reason: [
      `workflow ${input.workflow.name}: ${channelsOf(input.workflow.steps)}`,
      ...(input.workflow.notes ?? []),
    ].join("; "),
  };
  const preferred = applyPreference(base, input.preference);
  const afterIncidents = applyIncidents(preferred, input.incidents, input.settings);
  const final = keepSilentFirst(preferred, applyHealth(afterIncidents, input), input);
  return {
    steps: final.steps,
    decision: {
      at: input.now,
      attempt: 0,
      route: "",
      rule: final.rule,
      reason: final.reason,
      health: planHealth(final.steps, input.health),
    },
  };
}

/**
 * The share of a district's verifications that probe its down channels: `probeShare`, or in a
 * quiet district enough for a probe about every `probeEveryMs` (3 a minute and one probe every
 * 40 s: half of them), never more than `maxProbeShare`.
 */
function probeShareFor(
  health: Pick<HealthView, "attemptsPerMinute">,
  settings: Pick<RoutingSettings, "probeShare" | "probeEveryMs" | "maxProbeShare">,
): number {
  const rate = health.attemptsPerMinute ?? 0;
  if (rate <= 0 || settings.probeEveryMs <= 0) return settings.probeShare;
  const wanted = 60_000 / settings.probeEveryMs / rate;
  return Math.max(settings.probeShare, Math.min(settings.maxProbeShare, wanted));
}

/** Whether this verification keeps down channels in place to probe them. */
export function isProbe(verificationId: string, settings: RoutingSettings, health: HealthView): boolean {
  return stableFraction(`probe:${verificationId}`) < probeShareFor(health, settings);
}

function channelsOf(steps: readonly PlanStep[]): string {
  return steps.map((s) => s.channel).join(" → ");
}

/** A silent step the reorderings moved back is dropped: it only runs while the app waits on it. */
function keepSilentFirst(before: Reordering, after: Reordering, input: PlanInput): Reordering {
  const index = after.steps.findIndex((s) => s.channel === "silent");
  if (index <= 0 || before.steps[0]?.channel !== "silent") return after;
  const steps = after.steps.filter((_, i) => i !== index);
  const figures = input.health.channels.silent;
  const incident = input.incidents.find((i) => i.channels.includes("silent"));
  const why = incident
    ? `incident ${incident.incidentId} on silent`
    : `silent down in ${input.district}${figures ? `: ${describeFigures(figures)}` : ""}`;
  return {
    steps,
    rule: incident ? "incident-skip:silent" : "district-skip:silent-down",
    reason: `${why}, not tried: ${channelsOf(steps)}; ${after.reason}`,
  };
}

function applyPreference(current: Reordering, preference: ChannelName | undefined): Reordering {
  if (!preference) return current;
  // A silent first step stays first: a preference orders the channels that send a code.
  const head = current.steps[0]?.channel === "silent" ? 1 : 0;
  const index = current.steps.findIndex((s) => s.channel === preference);
  if (index <= head) return current;
  const steps = [
    ...current.steps.slice(0, head),
    current.steps[index]!,
    ...current.steps.filter((_, i) => i !== index && i >= head),
  ];
  return {
    steps,
    rule: `preference:${preference}`,
    reason: `the user asked for ${preference}: ${channelsOf(steps)}; ${current.reason}`,
  };
}

function applyIncidents(
  current: Reordering,
  incidents: readonly IncidentView[],
  settings: RoutingSettings,
): Reordering {
  let result = current;
  for (const incident of incidents) {
    const moved = demote(result.steps, new Set(incident.channels), settings);
    if (!moved) continue;
    result = {
      steps: moved,
      rule: `incident:${incident.incidentId}`,
      reason: `incident ${incident.incidentId} on ${incident.channels.join(", ")}: ${channelsOf(moved)}; ${result.reason}`,
    };
  }
  return result;
}

function applyHealth(current: Reordering, input: PlanInput): Reordering {
  const down = [...new Set(current.steps.map((s) => s.channel))].filter(
    (channel) => input.health.channels[channel]?.state === "down",
  );
  if (down.length === 0) return current;
  const figures = down.map((c) => describeFigures(input.health.channels[c]!)).join("; ");
  const label = down.join("+");
  if (isProbe(input.verificationId, input.settings, input.health)) {
    const share = probeShareFor(input.health, input.settings);
    return {
      steps: current.steps,
      rule: `district-probe:${label}-down`,
      reason: `probing whether ${label} recovered in ${input.district} (${Math.round(share * 100)}% of verifications): ${figures}; ${current.reason}`,
    };
  }
  const moved = demote(current.steps, new Set(down), input.settings);
  if (!moved) {
    return { ...current, reason: `${current.reason}; ${figures}, but no healthier channel to put first` };
  }
  return {
    steps: moved,
    rule: `district-reorder:${label}-down`,
    reason: `${label} down in ${input.district}: ${figures}; ${channelsOf(moved)}; ${current.reason}`,
  };
}

/**
 * Moves steps of the given channels behind the others, keeping relative order and leaving the
 * trailing last-resort steps in place. Undefined when nothing would change or nothing better
 * would come first.
 */
function demote(
  steps: readonly PlanStep[],
  channels: ReadonlySet<ChannelName>,
  settings: RoutingSettings,
): PlanStep[] | undefined {
  let tail = steps.length;
  while (tail > 0 && settings.lastResortChannels.includes(steps[tail - 1]!.channel)) tail--;
  const movable = steps.slice(0, tail);
  const kept = movable.filter((s) => !channels.has(s.channel));
  const moved = movable.filter((s) => channels.has(s.channel));
  if (moved.length === 0 || kept.length === 0) return undefined;
  const reordered = [...kept, ...moved, ...steps.slice(tail)];
  return reordered.every((s, i) => s === steps[i]) ? undefined : reordered;
}

function planHealth(steps: readonly PlanStep[], health: HealthView): HealthFigures[] {
  const channels = [...new Set(steps.map((s) => s.channel))];
  return channels.map((c) => health.channels[c]).filter((f): f is HealthFigures => f !== undefined);
}
