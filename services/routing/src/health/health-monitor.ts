/**
 * Writes this replica's health samples about once a second (one script per scope) and turns
 * health figures into states, a few times a second: scopes written since the last pass
 * (and, less often, every scope still known) are re-evaluated (core/health-state.ts decides; the store's compare-and-set makes one replica
 * the one that announces each change). A change is announced as ChannelHealthChanged on the
 * routing topic; a district channel going down also declares an automatic incident (and its
 * recovery resolves it), so apps and the support assistant can tell users.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { EventBus } from "@platform/bus/port";
import { envelope } from "@platform/events/envelope";
import type { TopicNames } from "@platform/bus/topics";
import type { IncidentStore } from "@platform/incidents";
import type { Logger } from "@platform/log";
import { channelToProto } from "@domain/policy/proto";
import type { ChannelName } from "../core/types";
import { channelHealthToProto, healthStateToProto } from "../proto-mapping";
import type { HealthRepository, HealthTransition } from "./health-store";

export interface HealthMonitorDeps {
  health: HealthRepository;
  incidents: IncidentStore;
  bus: EventBus;
  topics: TopicNames;
  clock: () => number;
  logger: Logger;
  intervalMs: number;
  /** How often every known scope is evaluated, written to or not. */
  sweepIntervalMs: number;
  /** Called after an automatic incident was declared or resolved (cache invalidation). */
  onIncidentChange?: () => void;
}

export interface HealthMonitor {
  start(): void;
  stop(): Promise<void>;
  /** One evaluation pass now (tests). */
  evaluateNow(): Promise<void>;
}

const HEALTH_MONITOR_PRINCIPAL = "service:routing-health";

export function createHealthMonitor(deps: HealthMonitorDeps): HealthMonitor {
  const stopping = new AbortController();
  const sweep = { last: 0 };
  let loop: Promise<void> | undefined;
  return {
    start() {
      loop ??= (async () => {
        while (!stopping.signal.aborted) {
          await evaluateNow(deps, sweep, false);
          await sleep(deps.intervalMs, undefined, { signal: stopping.signal }).catch(() => undefined);
        }
      })();
    },
    async stop() {
      stopping.abort();
      await loop;
      await deps.health.flush(deps.clock(), true).catch(() => undefined);
    },
    evaluateNow: () => evaluateNow(deps, sweep, true),
  };
}

/** `force` writes the samples gathered so far at once (tests, and the last pass on stop). */
async function evaluateNow(deps: HealthMonitorDeps, sweep: { last: number }, force: boolean): Promise<void> {
  const { logger } = deps;
  try {
    await deps.health.flush(deps.clock(), force);
  } catch (err) {
    logger.warn("could not write channel health samples", { error: err });
  }
  for (const scope of await scopesToEvaluate(deps, sweep)) {
    try {
      for (const transition of await deps.health.evaluate(scope, deps.clock()))
        await announce(deps, transition);
    } catch (err) {
      logger.warn("channel health evaluation failed", { scope, error: err });
    }
  }
}

/** Scopes to evaluate: those written since the last pass, and now and then every known one. */
async function scopesToEvaluate(deps: HealthMonitorDeps, sweep: { last: number }): Promise<string[]> {
  const scopes = new Set(deps.health.takeDirtyScopes());
  const now = deps.clock();
  if (now - sweep.last >= deps.sweepIntervalMs) {
    sweep.last = now;
    // Scopes nobody writes to any more must still age (a state goes unknown on an empty window).
    try {
      for (const scope of await deps.health.knownScopes(now)) scopes.add(scope);
    } catch (err) {
      deps.logger.warn("could not list health scopes", { error: err });
    }
  }
  return [...scopes];
}

async function announce(deps: HealthMonitorDeps, t: HealthTransition): Promise<void> {
  const f = t.figures;
  deps.logger.info("channel health changed", {
    channel: f.channel,
    route: f.route,
    district: f.district,
    operator: f.operator,
    from: t.previous,
    to: t.next.state,
    deliveryRate: Number(f.deliveryRate.toFixed(3)),
    sampleSize: f.sampleSize,
  });
  if (!t.scope.startsWith("d:")) return; // SMS route breakers per operator: logged only
  const at = new Date(deps.clock());
  await deps.bus.publish(
    deps.topics.routing,
    envelope(
      { verificationId: "", tenant: "", at },
      {
        $case: "channelHealthChanged",
        value: { health: channelHealthToProto(f), previousState: healthStateToProto(t.previous) },
      },
    ),
    { key: f.district },
  );
  if (f.route !== "") return;
  if (t.next.state === "down" && t.previous !== "down")
    await declareAutomatic(deps, f.district, f.channel, at);
  if (t.previous === "down" && t.next.state !== "down")
    await resolveAutomatic(deps, f.district, f.channel, at);
}

async function declareAutomatic(
  deps: HealthMonitorDeps,
  district: string,
  channel: ChannelName,
  at: Date,
): Promise<void> {
  const incident = await deps.incidents.declare({
    district,
    channels: [channelToProto(channel)],
    notices: automaticNotices(channel),
    automatic: true,
    declaredBy: HEALTH_MONITOR_PRINCIPAL,
    now: at,
  });
  await deps.bus.publish(
    deps.topics.routing,
    envelope(
      { verificationId: incident.incidentId, tenant: "", at },
      { $case: "incidentDeclared", value: { incident } },
    ),
    { key: district },
  );
  deps.onIncidentChange?.();
}

async function resolveAutomatic(
  deps: HealthMonitorDeps,
  district: string,
  channel: ChannelName,
  at: Date,
): Promise<void> {
  const open = await deps.incidents.list({ district, now: at });
  const proto = channelToProto(channel);
  for (const incident of open.filter((i) => i.automatic && i.channels.includes(proto))) {
    const resolved = await deps.incidents.resolve(incident.incidentId, HEALTH_MONITOR_PRINCIPAL, at);
    if (!resolved?.resolvedNow) continue;
    await deps.bus.publish(
      deps.topics.routing,
      envelope(
        { verificationId: incident.incidentId, tenant: "", at },
        {
          $case: "incidentResolved",
          value: { incidentId: incident.incidentId, resolvedBy: HEALTH_MONITOR_PRINCIPAL },
        },
      ),
      { key: district },
    );
  }
  deps.onIncidentChange?.();
}

const CHANNEL_LABEL: Record<ChannelName, string> = {
  whatsapp: "WhatsApp",
  sms: "SMS",
  voice: "Voice call",
  silent: "Network verification",
};

/** In-app banner texts; operators declaring incidents by hand write their own. */
function automaticNotices(channel: ChannelName): Record<string, string> {
  const label = CHANNEL_LABEL[channel];
  return {
    en: `${label} delivery is disrupted in your area. Your code may arrive by another channel.`,
    id: `Pengiriman ${label} sedang terganggu di wilayah Anda. Kode Anda mungkin dikirim lewat saluran lain.`,
  };
}
