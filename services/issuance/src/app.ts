/** The issuance service assembled on a platform (Kafka + Redis, or the embedded adapters). */
import { IssuanceServiceService, type StartVerificationRequest } from "@proto/otp/v1/issuance";
import type { GrpcServer } from "@platform/grpc/server";
import { createVerificationProjection } from "@verification-state/projection";
import type { Platform } from "@platform/runtime/platform";
import type { OtpMetrics } from "@platform/telemetry/metrics";
import { meterHandlers } from "@platform/telemetry/request-metrics";
import { createAbuseGuards } from "./abuse-guards";
import { createWatchQuota, DEFAULT_MAX_WATCHES_PER_TENANT, issuanceHandlers } from "./grpc-handlers";
import { createIssuance, type Issuance } from "./issuance";
import { createWatchHub } from "./watch-hub";
import { countGuardBlocks, issuanceMetrics, meterGuardBlocks, meterStarts } from "./issuance-metrics";

export interface IssuanceAppOptions {
  /** How long a finished verification stays readable. */
  retentionMs: number;
  incidentActive?: (district: string) => Promise<boolean>;
  /** Prometheus metrics of the process (none: nothing recorded). */
  metrics?: OtpMetrics;
  /** WatchVerification streams one tenant may hold open on this replica (default 1000). */
  maxWatchesPerTenant?: number;
}

/**
 * Load admission per method: new starts and resends make sends and are refused first; a
 * cancellation ends work and is let through with checks; reads give way only when critical.
 */
const ISSUANCE_ADMISSION = {
  startVerification: "start",
  resendCode: "start",
  cancelVerification: "verify",
  getVerification: "read",
  watchVerification: "read",
} as const;

export interface IssuanceApp {
  issuance: Issuance;
  register(server: GrpcServer): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createIssuanceApp(p: Platform, options: IssuanceAppOptions): IssuanceApp {
  const projection = createVerificationProjection({
    store: p.store,
    secrets: p.secrets,
    retentionMs: options.retentionMs,
  });
  const metrics = options.metrics?.declare(issuanceMetrics);
  const issuance = createIssuance({
    bus: p.bus,
    store: p.store,
    projection,
    secrets: p.secrets,
    policies: p.policies,
    guards: meterGuardBlocks(
      createAbuseGuards({
        store: p.store,
        now: p.now,
        logger: p.logger.child({ component: "abuse-guards" }),
      }),
      metrics,
    ),
    topics: p.topics,
    now: p.now,
    logger: p.logger,
    incidentActive: options.incidentActive,
    districts: p.districts,
    onScreenRefusal: metrics ? countGuardBlocks(metrics) : undefined,
  });
  const knownPurpose = (tenant: string, purpose: string) =>
    p.policies.policyFor(tenant).purposes[purpose] !== undefined;
  const metered = {
    ...issuance,
    start: meterStarts(
      (tenant: string, request: StartVerificationRequest) => issuance.start(tenant, request),
      metrics,
      knownPurpose,
    ),
  };
  const hub = createWatchHub({
    bus: p.bus,
    topics: p.topics,
    projection,
    logger: p.logger.child({ component: "watch-hub" }),
  });
  return {
    issuance,
    register: (server) =>
      server.addService(
        IssuanceServiceService,
        meterHandlers(
          "IssuanceService",
          issuanceHandlers(
            metered,
            hub,
            p.now,
            createWatchQuota(options.maxWatchesPerTenant ?? DEFAULT_MAX_WATCHES_PER_TENANT),
          ),
          options.metrics,
        ),
        { admission: ISSUANCE_ADMISSION },
      ),
    // The watch hub follows the event log only while a stream watches.
    async start() {},
    async stop() {
      await hub.stop();
    },
  };
}
