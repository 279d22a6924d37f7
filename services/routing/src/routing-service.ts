/**
 * The routing service, wired from its dependencies: the partition processor that owns the
 * routing state and timers of the verifications topic's partitions, the health monitor and the
 * gRPC handlers (ADR 0007). `main.ts` builds it on Kafka and Redis; the
 * all-in-one process builds it on the in-process bus and store:
 *
 *   const routing = createRoutingService({ bus, store, policies, logger, topics });
 *   routing.register(grpcServer);
 *   await routing.start();
 *   ...
 *   await routing.stop();
 */
import { trace } from "@opentelemetry/api";
import { RoutingServiceService } from "@proto/otp/v1/routing";
import type { EventBus } from "@platform/bus/port";
import type { OwnershipChange, Processor } from "@platform/bus/processor-port";
import { type TopicNames, topicSpecs } from "@platform/bus/topics";
import type { ServiceHandlers } from "@platform/grpc/handlers";
import type { GrpcServer } from "@platform/grpc/server";
import { createIncidentStore, type IncidentStore } from "@platform/incidents";
import type { Logger } from "@platform/log";
import type { PolicyBook } from "@domain/policy/policy-book";
import type { Store } from "@platform/store/port";
import { DEFAULT_HEALTH_THRESHOLDS } from "./core/health-state";
import type { RoutesTable } from "./core/routes";
import { DEFAULT_ROUTING_SETTINGS, type RoutingSettings } from "./core/types";
import { ROUTING_ADMIN_METHODS, routingGrpcHandlers, type RoutingStates } from "./grpc-service";
import { createHealthMonitor, type HealthMonitor } from "./health/health-monitor";
import { createHealthRepository, type HealthRepository, type HealthSettings } from "./health/health-store";
import { createIncidentReader } from "./incident-reader";
import { ROUTING_INPUTS } from "./lifecycle-input";
import { defaultRoutesTable } from "./routes-config";
import type { OtpMetrics } from "@platform/telemetry/metrics";
import { randomCode } from "@platform/crypto/codes";
import { sealedField, type Sealer } from "@platform/crypto/sealer";
import type { MintCode } from "./effects";
import { eventTypes } from "@platform/bus/codec";
import { fallbackMetrics } from "./partition/fallback-metrics";
import { createRoutingTask, type RoutingTask } from "./partition/routing-task";
import { decodeOwnedState } from "./partition/state-codec";
import { DEFAULT_PARTITIONS_PER_COMMIT } from "@platform/bus/commit-groups";

export interface RoutingServiceSettings {
  routing: RoutingSettings;
  health: HealthSettings;
  /** How often the health monitor re-evaluates scopes written since its last pass. */
  healthEvaluateIntervalMs: number;
  /** How long each replica reuses the incident list it read. */
  incidentCacheMs: number;
  /** How long a finished verification's routing state (and so ExplainRoute) is kept. */
  stateRetentionMs: number;
  /** After this long without a heartbeat, a replica's partitions move to the others. */
  sessionTimeoutMs: number;
  /** Partitions that move together and commit in one transaction (commit-groups.ts). */
  partitionsPerCommit: number;
}

const DEFAULT_ROUTING_SERVICE_SETTINGS: RoutingServiceSettings = {
  routing: DEFAULT_ROUTING_SETTINGS,
  health: { ...DEFAULT_HEALTH_THRESHOLDS, cacheMs: 1_000, flushMs: 1_000 },
  healthEvaluateIntervalMs: 250,
  incidentCacheMs: 1_000,
  stateRetentionMs: 15 * 60_000,
  sessionTimeoutMs: 6_000,
  partitionsPerCommit: DEFAULT_PARTITIONS_PER_COMMIT,
};

export interface RoutingServiceSettingsInput {
  routing?: Partial<RoutingSettings>;
  health?: Partial<HealthSettings>;
  healthEvaluateIntervalMs?: number;
  incidentCacheMs?: number;
  stateRetentionMs?: number;
  sessionTimeoutMs?: number;
  partitionsPerCommit?: number;
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
  /** The process's Prometheus metrics; routing declares its own there (fallbacks by from → to, reason). */
  metrics?: OtpMetrics;
  /** Seals a new code per fallback attempt where the policy asks; without it attempts share the code. */
  sealer?: Sealer;
  /** Told when this replica starts serving a partition (with its restore time) or lets it go. */
  onOwnership?: (change: OwnershipChange) => void;
  /** Fault-injection seam for tests: see ProcessOptions.beforeCommit. */
  beforeCommit?: (partition: number) => void;
}

export interface RoutingService {
  readonly handlers: ServiceHandlers<typeof RoutingServiceService>;
  /** Adds otp.v1.RoutingService to a server, with its admin-only methods. */
  register(server: GrpcServer): void;
  readonly states: RoutingStates;
  readonly health: HealthRepository;
  readonly healthMonitor: HealthMonitor;
  readonly incidents: IncidentStore;
  readonly settings: RoutingServiceSettings;
  /** Creates missing topics, joins the group (restoring the partitions it gets), starts the health monitor. */
  start(): Promise<void>;
  /** Stops processing; work in hand is committed first. */
  stop(): Promise<void>;
}

export function resolveSettings(input: RoutingServiceSettingsInput = {}): RoutingServiceSettings {
  const d = DEFAULT_ROUTING_SERVICE_SETTINGS;
  return {
    routing: { ...d.routing, ...input.routing },
    health: { ...d.health, ...input.health },
    healthEvaluateIntervalMs: input.healthEvaluateIntervalMs ?? d.healthEvaluateIntervalMs,
    incidentCacheMs: input.incidentCacheMs ?? d.incidentCacheMs,
    stateRetentionMs: input.stateRetentionMs ?? d.stateRetentionMs,
    sessionTimeoutMs: input.sessionTimeoutMs ?? d.sessionTimeoutMs,
    partitionsPerCommit: input.partitionsPerCommit ?? d.partitionsPerCommit,
  };
}

export function createRoutingService(options: RoutingServiceOptions): RoutingService {
  const { bus, store, logger, topics } = options;
  const clock = options.clock ?? Date.now;
  const settings = resolveSettings(options.settings);
  const incidents = createIncidentStore(store);
  const incidentReader = createIncidentReader(incidents, settings.incidentCacheMs);
  const health = createHealthRepository(store, settings.health);
  const tasks = new Map<number, RoutingTask>();
  const taskDeps = {
    policies: options.policies,
    topics,
    clock,
    health,
    incidents: incidentReader,
    routes: options.routes ?? defaultRoutesTable(),
    settings: settings.routing,
    retentionMs: settings.stateRetentionMs,
    mintCode: options.sealer ? codeMinter(options.sealer) : undefined,
    metrics: options.metrics?.declare(fallbackMetrics),
    logger,
    tracer: trace.getTracer("otp-router.routing"),
  };
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
  let processor: Processor | undefined;

  const states: RoutingStates = {
    async load(verificationId) {
      for (const task of tasks.values()) {
        const state = task.get(verificationId);
        if (state) return state;
      }
      const copy = processor?.latest(verificationId);
      return copy ? decodeOwnedState(copy).state : undefined;
    },
    owned: () => processor?.owned() ?? [],
    timers: (verificationId) => [...tasks.values()].flatMap((task) => task.timers(verificationId)),
  };

  const handlers = routingGrpcHandlers({ states, health, incidents, incidentReader, bus, topics, clock });

  return {
    handlers,
    register: (server) =>
      server.addService(RoutingServiceService, handlers, { adminMethods: [...ROUTING_ADMIN_METHODS] }),
    states,
    health,
    healthMonitor,
    incidents,
    settings,

    async start() {
      await bus.ensureTopics(topicSpecs(topics));
      healthMonitor.start();
      processor = await bus.process({
        groupId: options.groupId ?? "routing",
        topic: topics.verifications,
        changelogTopic: topics.routingState,
        accepts: eventTypes(...ROUTING_INPUTS),
        clock,
        sessionTimeoutMs: settings.sessionTimeoutMs,
        partitionsPerCommit: settings.partitionsPerCommit,
        beforeCommit: options.beforeCommit,
        createTask: (partition, restored) => {
          tasks.get(partition)?.close();
          const task = createRoutingTask(taskDeps, partition, restored);
          tasks.set(partition, task);
          return task;
        },
        onOwnership: (change) => {
          if (change.kind === "released") tasks.delete(change.partition);
          else logger.info("routing partition serving", { ...change });
          options.onOwnership?.(change);
        },
      });
      await processor.ready;
      logger.info("routing started", { groupId: options.groupId ?? "routing", topic: topics.verifications });
    },

    async stop() {
      await processor?.stop();
      await healthMonitor.stop();
    },
  };
}

function codeMinter(sealer: Sealer): MintCode {
  return (verificationId, length) => sealer.seal(randomCode(length), sealedField(verificationId, "code"));
}
