/**
 * The routing service, wired from its dependencies: the consumer of lifecycle events, the timer
 * poller, the health monitor and the gRPC handlers. `main.ts` builds it on Kafka and Redis; the
 * all-in-one process builds it on the in-process bus and store:
 *
 *   const routing = createRoutingService({ bus, store, policies, logger, topics });
 *   routing.register(grpcServer);
 *   await routing.start();
 *   ...
 *   await routing.stop();
 */
import { trace } from "@opentelemetry/api";
import { RoutingServiceService } from "../../../proto/gen/otp/v1/routing";
import type { EventBus, Subscription } from "../../shared/src/bus/port";
import { type TopicNames, topicSpecs } from "../../shared/src/events/topics";
import type { ServiceHandlers } from "../../shared/src/grpc/handlers";
import type { GrpcServer } from "../../shared/src/grpc/server";
import { createIncidentStore, type IncidentStore } from "../../shared/src/incidents";
import type { Logger } from "../../shared/src/log";
import type { PolicyBook } from "../../shared/src/policy/policy-book";
import type { Store } from "../../shared/src/store/port";
import { DEFAULT_HEALTH_THRESHOLDS } from "./core/health-state";
import type { RoutesTable } from "./core/routes";
import { DEFAULT_ROUTING_SETTINGS, type RoutingSettings } from "./core/types";
import { ROUTING_ADMIN_METHODS, routingGrpcHandlers } from "./grpc-service";
import { createHealthMonitor, type HealthMonitor } from "./health/health-monitor";
import { createHealthRepository, type HealthRepository, type HealthSettings } from "./health/health-store";
import { createIncidentReader } from "./incident-reader";
import { commandFromEnvelope, ROUTING_INPUTS } from "./lifecycle-input";
import { defaultRoutesTable } from "./routes-config";
import { createRoutingEngine, type RoutingEngine } from "./routing-engine";
import { routingReplay } from "./routing-rebuild";
import { createRoutingStateRepo } from "./routing-state-repo";
import { createStoreLossWatch } from "../../shared/src/store/loss-watch";
import {
  createTimerPoller,
  DEFAULT_TIMER_SETTINGS,
  VERIFICATION_TRACE,
  type TimerSettings,
} from "./timer-poller";
import type { OtpMetrics } from "../../shared/src/telemetry/metrics";
import { createDispatchTraces } from "../../shared/src/telemetry/dispatch-traces";
import { randomCode } from "../../shared/src/crypto/codes";
import { sealedField, type Sealer } from "../../shared/src/crypto/sealer";
import type { MintCode } from "./effects";
import { eventTypes } from "../../shared/src/bus/codec";

export interface RoutingServiceSettings {
  routing: RoutingSettings;
  health: HealthSettings;
  timers: TimerSettings;
  /** How often the health monitor re-evaluates scopes written since its last pass. */
  healthEvaluateIntervalMs: number;
  /** How long each replica reuses the incident list it read. */
  incidentCacheMs: number;
  /** How long a routing state (and so ExplainRoute) outlives its code. */
  stateRetentionMs: number;
  /** Partitions of the verifications topic one replica handles concurrently. */
  partitionConcurrency: number;
}

export const DEFAULT_ROUTING_SERVICE_SETTINGS: RoutingServiceSettings = {
  routing: DEFAULT_ROUTING_SETTINGS,
  health: { ...DEFAULT_HEALTH_THRESHOLDS, cacheMs: 1_000 },
  timers: DEFAULT_TIMER_SETTINGS,
  healthEvaluateIntervalMs: 250,
  incidentCacheMs: 1_000,
  stateRetentionMs: 24 * 3_600_000,
  partitionConcurrency: 4,
};

export interface RoutingServiceSettingsInput {
  routing?: Partial<RoutingSettings>;
  health?: Partial<HealthSettings>;
  timers?: Partial<TimerSettings>;
  healthEvaluateIntervalMs?: number;
  incidentCacheMs?: number;
  stateRetentionMs?: number;
  partitionConcurrency?: number;
}

export interface RoutingServiceOptions {
  bus: EventBus;
  store: Store;
  clock?: () => number;
  policies: PolicyBook;
  routes?: RoutesTable;
  logger: Logger;
  topics: TopicNames;
  /** Consumer group of the verifications topic (default "routing"). */
  groupId?: string;
  settings?: RoutingServiceSettingsInput;
  /** Prometheus metrics (fallbacks by from → to and reason). */
  metrics?: OtpMetrics;
  /** Seals a new code per fallback attempt where the policy asks; without it attempts share the code. */
  sealer?: Sealer;
  /** Fault-injection seam for tests: sees each batch of claimed timers before it fires. */
  afterTimerClaim?: (ids: readonly string[]) => void;
  /** How often to look for a store that lost routing's state, and rebuild it from the log (ms). */
  storeLossCheckMs?: number;
  /** Told when a rebuild of routing's state from the log starts and finishes. */
  onStoreRebuild?: (phase: "started" | "finished") => void;
}

export interface RoutingService {
  readonly handlers: ServiceHandlers<typeof RoutingServiceService>;
  /** Adds otp.v1.RoutingService to a server, with its admin-only methods. */
  register(server: GrpcServer): void;
  readonly engine: RoutingEngine;
  readonly health: HealthRepository;
  readonly healthMonitor: HealthMonitor;
  readonly incidents: IncidentStore;
  readonly settings: RoutingServiceSettings;
  /** Creates missing topics, joins the consumer group, starts the timer poller and health monitor. */
  start(): Promise<void>;
  /** Stops consuming and polling; in-flight work finishes first. */
  stop(): Promise<void>;
}

export function resolveSettings(input: RoutingServiceSettingsInput = {}): RoutingServiceSettings {
  const d = DEFAULT_ROUTING_SERVICE_SETTINGS;
  return {
    routing: { ...d.routing, ...input.routing },
    health: { ...d.health, ...input.health },
    timers: { ...d.timers, ...input.timers },
    healthEvaluateIntervalMs: input.healthEvaluateIntervalMs ?? d.healthEvaluateIntervalMs,
    incidentCacheMs: input.incidentCacheMs ?? d.incidentCacheMs,
    stateRetentionMs: input.stateRetentionMs ?? d.stateRetentionMs,
    partitionConcurrency: input.partitionConcurrency ?? d.partitionConcurrency,
  };
}

export function createRoutingService(options: RoutingServiceOptions): RoutingService {
  const { bus, store, logger, topics } = options;
  const clock = options.clock ?? Date.now;
  const settings = resolveSettings(options.settings);
  const incidents = createIncidentStore(store);
  const incidentReader = createIncidentReader(incidents, settings.incidentCacheMs);
  const health = createHealthRepository(store, settings.health);
  const repo = createRoutingStateRepo(store, { retentionMs: settings.stateRetentionMs });
  const engine = createRoutingEngine({
    bus,
    store,
    topics,
    clock,
    repo,
    health,
    incidents: incidentReader,
    routes: options.routes ?? defaultRoutesTable(),
    settings: settings.routing,
    timerShards: settings.timers.shards,
    logger,
    metrics: options.metrics,
    mintCode: options.sealer ? codeMinter(options.sealer) : undefined,
  });
  const traces = createDispatchTraces({ store, tracer: trace.getTracer("otp-router.routing"), now: clock });
  const poller = createTimerPoller({
    store,
    engine,
    clock,
    logger,
    traces,
    settings: settings.timers,
    afterClaim: options.afterTimerClaim,
  });
  const healthMonitor = createHealthMonitor({
    health,
    incidents,
    bus,
    topics,
    clock,
    logger,
    intervalMs: settings.healthEvaluateIntervalMs,
    sweepIntervalMs: Math.max(settings.healthEvaluateIntervalMs, settings.health.bucketMs),
    onIncidentChange: () => incidentReader.invalidate(),
  });
  let subscription: Subscription | undefined;
  const storeLoss = createStoreLossWatch({
    store,
    logger,
    now: clock,
    marker: "routing-epoch",
    what: "routing state",
    intervalMs: options.storeLossCheckMs,
    onRebuild: options.onStoreRebuild,
    replay: routingReplay({
      bus,
      store,
      topic: topics.verifications,
      groupPrefix: options.groupId === undefined ? "" : `${options.groupId}-`,
      policies: options.policies,
      repo,
      engine,
      settings: settings.routing,
      timerShards: settings.timers.shards,
      logger,
      now: clock,
    }),
  });

  const handlers = routingGrpcHandlers({ engine, health, incidents, incidentReader, bus, topics, clock });

  return {
    handlers,
    register: (server) =>
      server.addService(RoutingServiceService, handlers, { adminMethods: [...ROUTING_ADMIN_METHODS] }),
    engine,
    health,
    healthMonitor,
    incidents,
    settings,

    async start() {
      await bus.ensureTopics(topicSpecs(topics));
      subscription = await bus.subscribe({
        groupId: options.groupId ?? "routing",
        topics: [topics.verifications],
        accepts: eventTypes(...ROUTING_INPUTS),
        partitionConcurrency: settings.partitionConcurrency,
        // A lifecycle event dead-lettered is a verification routing never hears of again: ride
        // out a Redis or Kafka blip of a minute or so before giving up on one.
        retry: { attempts: 20, initialBackoffMs: 100, maxBackoffMs: 5_000 },
        handler: async (message) => {
          const command = commandFromEnvelope(message.envelope, options.policies);
          const started =
            message.envelope.event?.$case === "verificationStarted"
              ? message.envelope.event.value
              : undefined;
          // Timers fire outside any trace: remember this verification's, to continue it then.
          if (started?.expiresAt) {
            traces.remember({
              verificationId: message.envelope.verificationId,
              attempt: VERIFICATION_TRACE,
              expiresAtMs: started.expiresAt.getTime(),
            });
          }
          if (command) await engine.handle(message.envelope.verificationId, command);
        },
      });
      // Timers do not wait for the consumer group: they keep firing through a rebalance.
      poller.start();
      healthMonitor.start();
      await subscription.ready;
      await storeLoss.start();
      logger.info("routing started", { groupId: options.groupId ?? "routing", topic: topics.verifications });
    },

    async stop() {
      await storeLoss.stop();
      await subscription?.stop();
      await Promise.all([poller.stop(), healthMonitor.stop()]);
    },
  };
}

function codeMinter(sealer: Sealer): MintCode {
  return (verificationId, length) => sealer.seal(randomCode(length), sealedField(verificationId, "code"));
}
