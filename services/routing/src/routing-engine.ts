/**
 * Runs one command against one verification's routing, safely across replicas:
 *
 *   load → finish a pending outbox → decide (pure) → save state + outbox (compare-and-set)
 *        → carry out the outbox → save it as done
 *
 * A replica that loses the compare-and-set (a receipt here, the fallback timer there) loads
 * again and decides on the newer state, so a step advances once. A replica that dies after
 * saving leaves the outbox for whoever touches the verification next (a redelivered input, or a
 * timer: timers are set before anything is published, so one is always there to wake it).
 */
import { trace } from "@opentelemetry/api";
import type { MintCode } from "./effects";
import { recordFallback } from "../../shared/src/telemetry/fallback-metrics";
import type { OtpMetrics } from "../../shared/src/telemetry/metrics";
import type { EventBus } from "../../shared/src/bus/port";
import { OtpError } from "../../shared/src/errors";
import type { TopicNames } from "../../shared/src/events/topics";
import type { Logger } from "../../shared/src/log";
import type { Store } from "../../shared/src/store/port";
import { cancelTimer } from "../../shared/src/store/scripts";
import type { RoutesTable } from "./core/routes";
import { type DecideContext, handleCommand, initialRoutingState } from "./core/routing-aggregate";
import type { RoutingCommand, RoutingEvent, RoutingSettings, RoutingState } from "./core/types";
import { type Effect, effectsOf } from "./effects";
import type { HealthRepository } from "./health/health-store";
import type { IncidentReader } from "./incident-reader";
import type { RoutingStateRepo } from "./routing-state-repo";
import { setTimer, timerSetFor } from "./timer-sets";

export interface RoutingEngineDeps {
  bus: EventBus;
  store: Store;
  topics: TopicNames;
  clock: () => number;
  repo: RoutingStateRepo;
  health: HealthRepository;
  incidents: IncidentReader;
  routes: RoutesTable;
  settings: RoutingSettings;
  timerShards: number;
  logger: Logger;
  metrics?: Pick<OtpMetrics, "fallbacks">;
  /** New sealed codes for fallback attempts (policies with a new code per attempt). */
  mintCode?: MintCode;
}

export interface RoutingEngine {
  /** Applies the command; resolves once its effects are done (or safely left in the outbox). */
  handle(verificationId: string, command: RoutingCommand): Promise<void>;
  load(verificationId: string): Promise<RoutingState | undefined>;
}

const MAX_CONFLICTS = 8;

export function createRoutingEngine(deps: RoutingEngineDeps): RoutingEngine {
  const { repo, logger } = deps;

  const contextFor = async (
    state: RoutingState,
    command: RoutingCommand,
    now: number,
  ): Promise<DecideContext> => {
    const facts = command.type === "Start" ? command.facts : state.facts;
    const district = facts?.district ?? "";
    const [health, incidents] = await Promise.all([
      deps.health.view(district, facts?.operator ?? "", now),
      deps.incidents.declaredFor(district, now),
    ]);
    return { now, health, incidents, routes: deps.routes, settings: deps.settings };
  };

  const carryOut = async (effects: readonly Effect[]): Promise<void> => {
    // Timers first: if this replica dies before publishing, a timer will wake the verification.
    for (const effect of effects) {
      if (effect.kind === "schedule")
        await setTimer(deps.store, deps.timerShards, effect.timerId, effect.dueAt);
    }
    const envelopes = effects.flatMap((e) => (e.kind === "publish" ? [e.envelope] : []));
    if (envelopes.length > 0) {
      await deps.bus.publishBatch(
        envelopes.map((envelope) => ({ topic: deps.topics.verifications, envelope })),
      );
      for (const envelope of envelopes) {
        if (envelope.event?.$case === "fallbackTriggered") recordFallback(deps.metrics, envelope.event.value);
      }
    }
    await Promise.all(
      effects.flatMap((e) =>
        e.kind === "cancel"
          ? [deps.store.run(cancelTimer, { key: timerSetFor(e.timerId, deps.timerShards), id: e.timerId })]
          : [],
      ),
    );
    const observations = effects.flatMap((e) => (e.kind === "observe" ? [e.observation] : []));
    if (observations.length > 0) {
      // Health is advisory: a lost sample must not fail (and so repeat) a dispatch.
      await deps.health.record(observations).catch((err: unknown) => {
        logger.warn("could not record channel health", { error: err });
      });
    }
  };

  return {
    async handle(verificationId, command) {
      for (let conflicts = 0; conflicts < MAX_CONFLICTS; conflicts++) {
        const loaded = await repo.load(verificationId);
        if (loaded && loaded.outbox.length > 0) {
          await carryOut(loaded.outbox);
          await repo.save(loaded.version, loaded.state, [], deps.clock());
          continue; // decide on the state as it is now
        }
        const state = loaded?.state ?? initialRoutingState(verificationId);
        if (state.status === "new" && command.type !== "Start") {
          logger.debug("no routing state for this verification; input ignored", {
            verificationId,
            input: command.type,
          });
          return;
        }
        const now = deps.clock();
        const handled = handleCommand(state, command, await contextFor(state, command, now));
        if (handled.events.length === 0) return;
        const effects = effectsOf(handled.events, handled.state, command.inputId, deps.mintCode);
        const version = await repo.save(loaded?.version ?? 0, handled.state, effects, now);
        if (version === 0) continue;
        traceDecisions(handled.events);
        await carryOut(effects);
        // If this write fails, the outbox is carried out again by the next handler: idempotent.
        await repo.save(version, handled.state, [], deps.clock()).catch((err: unknown) => {
          logger.warn("could not mark the routing outbox done", { verificationId, error: err });
        });
        return;
      }
      throw new OtpError("OTP_STATE_UNAVAILABLE", "routing state kept changing; try again", {
        retryable: true,
      });
    },

    load: async (verificationId) => (await repo.load(verificationId))?.state,
  };
}

/** The decision trail also goes on the trace of the event that caused it. */
function traceDecisions(events: readonly RoutingEvent[]): void {
  const span = trace.getActiveSpan();
  if (!span) return;
  for (const event of events) {
    if (
      event.type !== "RoutePlanned" &&
      event.type !== "DispatchRequested" &&
      event.type !== "RoutingStopped"
    )
      continue;
    const d = event.decision;
    span.addEvent("routing.decision", {
      "otp.attempt": d.attempt,
      "otp.channel": d.channel ?? "",
      "otp.route": d.route,
      "otp.routing.rule": d.rule,
      "otp.routing.reason": d.reason,
    });
  }
}
