/** The verification service assembled on a platform; it also runs the projector. */
import { VerificationServiceService } from "@proto/otp/v1/verification";
import type { Subscription } from "@platform/bus/port";
import type { GrpcServer } from "@platform/grpc/server";
import { createVerificationProjection } from "@verification-state/projection";
import { createProjector, type Projector } from "@verification-state/projector";
import { createStoreLossWatch } from "@platform/store/loss-watch";
import type { Platform } from "@platform/runtime/platform";
import { lifecycleMetrics, observeLifecycle } from "./lifecycle-metrics";
import type { OtpMetrics } from "@platform/telemetry/metrics";
import { meterHandlers } from "@platform/telemetry/request-metrics";
import { ADMIN_METHODS, verificationHandlers } from "./grpc-handlers";
import { createConversionTally } from "./conversion-tally";
import { createVerificationService, type VerificationService } from "./verification-service";

export interface VerificationApp {
  service: VerificationService;
  projector: Projector;
  register(server: GrpcServer): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface VerificationAppOptions {
  retentionMs: number;
  /** Prometheus metrics of the process (none: nothing recorded). */
  metrics?: OtpMetrics;
  /** The projector's consumer group (default "otp-projector"; tests give each run its own). */
  projectorGroup?: string;
  /** How often to look for a store that lost its data, and rebuild it from the log (ms). */
  storeLossCheckMs?: number;
}

/** Verifications whose last written state the projector keeps (a few MB). */
const REMEMBERED_STATES = 10_000;

export function createVerificationApp(p: Platform, options: VerificationAppOptions): VerificationApp {
  const projection = createVerificationProjection({
    store: p.store,
    secrets: p.secrets,
    retentionMs: options.retentionMs,
    // The projector folds each verification's events batch after batch: it reads one once.
    rememberStates: REMEMBERED_STATES,
    onRestored: (verificationId) =>
      p.logger.warn("verification state missing from the store (lost in a failover?): written again", {
        verificationId,
      }),
    // Only where the store lost a few writes; one that lost everything is rebuilt from the log.
    // (Deferred: the watch, made below, replays through the projector made from this.)
    storeEpoch: { seen: () => storeLoss.epoch.seen(), current: () => storeLoss.epoch.current() },
    now: p.now,
  });
  const conversions = createConversionTally(p.store, p.logger);
  const service = createVerificationService({
    bus: p.bus,
    store: p.store,
    conversions,
    projection,
    secrets: p.secrets,
    policies: p.policies,
    topics: p.topics,
    now: p.now,
  });
  // Outcomes, conversion and timings come from the projector: it sees every event once.
  const projector = createProjector({
    ...p,
    projection: observeLifecycle(projection, options.metrics?.declare(lifecycleMetrics), p.now),
  });
  const storeLoss = createStoreLossWatch({
    store: p.store,
    logger: p.logger,
    now: p.now,
    replay: (observe) => projector.rebuild(observe),
    marker: "store-epoch",
    what: "projection",
    intervalMs: options.storeLossCheckMs,
  });
  let projecting: Subscription | undefined;
  return {
    service,
    projector,
    register: (server) =>
      server.addService(
        VerificationServiceService,
        meterHandlers("VerificationService", verificationHandlers(service, p.now), options.metrics),
        // A user holding a code must be able to use it: checks go ahead of new starts.
        { adminMethods: [...ADMIN_METHODS], admission: { checkCode: "verify" } },
      ),
    async start() {
      conversions.start();
      projecting = await projector.start(options.projectorGroup);
      await projecting.ready;
      await storeLoss.start();
    },
    async stop() {
      await storeLoss.stop();
      await projecting?.stop();
      await conversions.stop();
    },
  };
}
