/**
 * Routing settings from the environment (the platform's own variables — KAFKA_BROKERS,
 * REDIS_URL, OTP_TOPIC_PREFIX, OTP_STORE_PREFIX, OTP_POLICY_FILE, LOG_LEVEL — are read by
 * platformFromEnv, and GRPC_ADDRESS, OTP_TLS_*, OTP_TOKENS by grpcServerFromEnv).
 */
import { int, optionalStr, readConfig, str, type Env } from "@platform/config";
import type { RoutingServiceSettingsInput } from "./routing-service";

const SPEC = {
  ROUTING_GROUP_ID: str("routing"),
  ROUTING_ROUTES_FILE: optionalStr(),
  ROUTING_HEALTH_WINDOW_SECONDS: int(300, { min: 10, max: 3_600 }),
  ROUTING_HEALTH_BUCKET_SECONDS: int(10, { min: 1, max: 300 }),
  ROUTING_HEALTH_MIN_SAMPLES: int(20, { min: 1, max: 10_000 }),
  ROUTING_HEALTH_MIN_DWELL_SECONDS: int(60, { min: 0, max: 3_600 }),
  ROUTING_PROBE_PERCENT: int(5, { min: 0, max: 100 }),
  ROUTING_PROBE_EVERY_SECONDS: int(40, { min: 0, max: 3_600 }),
  ROUTING_PROBE_MAX_PERCENT: int(35, { min: 0, max: 100 }),
  // The first reaction to WhatsApp going bad: its "not delivered" steps wait this long instead of
  // their full timeout once the evidence leans this far to a collapse (0 s: no first reaction).
  ROUTING_WHATSAPP_HASTENED_WAIT_SECONDS: int(8, { min: 0, max: 300 }),
  ROUTING_HASTEN_AT_LEAN_PERCENT: int(32, { min: 1, max: 100 }),
  ROUTING_STATE_RETENTION_MINUTES: int(15, { min: 1, max: 24 * 60 }),
  ROUTING_SESSION_TIMEOUT_MS: int(6_000, { min: 1_000, max: 300_000 }),
  // Partitions that move between replicas together and commit in one transaction; every replica
  // of a group must use the same number (a replica with another is refused by the group).
  ROUTING_PARTITIONS_PER_COMMIT: int(4, { min: 1, max: 64 }),
};

export interface RoutingConfig {
  groupId: string;
  routesFile: string | undefined;
  settings: RoutingServiceSettingsInput;
}

export function routingConfigFromEnv(env: Env = process.env): RoutingConfig {
  const cfg = readConfig(SPEC, env);
  return {
    groupId: cfg.ROUTING_GROUP_ID,
    routesFile: cfg.ROUTING_ROUTES_FILE,
    settings: {
      health: {
        windowMs: cfg.ROUTING_HEALTH_WINDOW_SECONDS * 1_000,
        bucketMs: cfg.ROUTING_HEALTH_BUCKET_SECONDS * 1_000,
        minSamples: cfg.ROUTING_HEALTH_MIN_SAMPLES,
        minDwellMs: cfg.ROUTING_HEALTH_MIN_DWELL_SECONDS * 1_000,
      },
      routing: {
        probeShare: cfg.ROUTING_PROBE_PERCENT / 100,
        probeEveryMs: cfg.ROUTING_PROBE_EVERY_SECONDS * 1_000,
        maxProbeShare: cfg.ROUTING_PROBE_MAX_PERCENT / 100,
        hastenAtLean: cfg.ROUTING_HASTEN_AT_LEAN_PERCENT / 100,
        hastenedWaitSeconds:
          cfg.ROUTING_WHATSAPP_HASTENED_WAIT_SECONDS === 0
            ? {}
            : { whatsapp: cfg.ROUTING_WHATSAPP_HASTENED_WAIT_SECONDS },
      },
      stateRetentionMs: cfg.ROUTING_STATE_RETENTION_MINUTES * 60_000,
      sessionTimeoutMs: cfg.ROUTING_SESSION_TIMEOUT_MS,
      partitionsPerCommit: cfg.ROUTING_PARTITIONS_PER_COMMIT,
    },
  };
}
