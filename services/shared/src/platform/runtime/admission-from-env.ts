/**
 * The admission gate of a gRPC server, configured from the environment:
 *   ADMISSION_MAX_IN_FLIGHT        gated calls in flight before refusing (default per service)
 *   ADMISSION_ELU_PERCENT          event-loop utilisation that counts as full (85)
 *   ADMISSION_LOOP_LAG_MS          event-loop lag that counts as full (30)
 *   ADMISSION_BACKLOG_GROUPS       consumer groups whose lag on the verifications topic is the
 *                                  pipeline's backlog (default "routing,gateway-smpp"; "" = off)
 *   ADMISSION_BACKLOG_LIMIT        backlog (messages) that counts as full (5000)
 *   ADMISSION_RETRY_MIN_MS / _MAX_MS   RetryInfo at load 1, and its ceiling (250 / 30000)
 * The backlog is read with Kafka's admin API twice a second, off the request path; on the
 * in-process bus there is none (everything shares one event loop, which the loop signals see).
 */
import { Counter, Gauge, type Registry } from "prom-client";
import { int, list, readConfig, type Env } from "../config";
import { DEFAULT_SETTINGS, type AdmissionSettings } from "@domain/admission/control";
import { createAdmissionGate, type AdmissionGate } from "../admission/gate";
import { createLoopSampler } from "../admission/loop-sampler";
import { overloadedStatus } from "../grpc/status";
import { createConsumerLagReader, type ConsumerLagReader } from "../telemetry/consumer-lag";
import type { OtpMetrics } from "../telemetry/metrics";
import type { Platform } from "./platform";

export interface AdmissionFromEnvOptions {
  env: Env;
  platform: Platform;
  service: string;
  /** ADMISSION_MAX_IN_FLIGHT when the environment does not say. */
  maxInFlight?: number;
  metrics?: OtpMetrics;
  /** Whether the pipeline's backlog counts (default true; checks do not add to it). */
  backlog?: boolean;
}

export interface AdmissionRuntime {
  gate: AdmissionGate;
  close(): Promise<void>;
}

const admissionSpec = (maxInFlight: number | undefined) => ({
  ADMISSION_MAX_IN_FLIGHT: int(maxInFlight ?? DEFAULT_SETTINGS.maxInFlight, { min: 1 }),
  ADMISSION_ELU_PERCENT: int(Math.round(DEFAULT_SETTINGS.eluTarget * 100), { min: 10, max: 100 }),
  ADMISSION_LOOP_LAG_MS: int(DEFAULT_SETTINGS.loopLagMs, { min: 1 }),
  ADMISSION_BACKLOG_GROUPS: list(["routing", "gateway-smpp"]),
  ADMISSION_BACKLOG_LIMIT: int(5_000, { min: 1 }),
  ADMISSION_RETRY_MIN_MS: int(DEFAULT_SETTINGS.retryMinMs, { min: 1 }),
  ADMISSION_RETRY_MAX_MS: int(DEFAULT_SETTINGS.retryMaxMs, { min: 1 }),
  KAFKA_BROKERS: list([]),
});

/** The admission settings' problems, without building anything. */
export function checkAdmissionConfig(env: Env): void {
  readConfig(admissionSpec(undefined), env);
}

export function admissionFromEnv(o: AdmissionFromEnvOptions): AdmissionRuntime {
  const cfg = readConfig(admissionSpec(o.maxInFlight), o.env);
  const groups = o.backlog === false ? [] : cfg.ADMISSION_BACKLOG_GROUPS.filter((g) => g !== "");
  const backlog =
    cfg.KAFKA_BROKERS.length > 0 && groups.length > 0
      ? createBacklogWatch(
          createConsumerLagReader({
            brokers: cfg.KAFKA_BROKERS,
            clientId: `${o.service}-admission`,
            groups: groups.map((groupId) => ({ groupId, topics: [o.platform.topics.verifications] })),
            logger: o.platform.logger,
            minIntervalMs: 500,
            timeoutMs: 2_000,
          }),
        )
      : undefined;
  const settings: AdmissionSettings = {
    ...DEFAULT_SETTINGS,
    maxInFlight: cfg.ADMISSION_MAX_IN_FLIGHT,
    eluTarget: cfg.ADMISSION_ELU_PERCENT / 100,
    loopLagMs: cfg.ADMISSION_LOOP_LAG_MS,
    backlog: backlog ? cfg.ADMISSION_BACKLOG_LIMIT : 0,
    retryMinMs: cfg.ADMISSION_RETRY_MIN_MS,
    retryMaxMs: Math.max(cfg.ADMISSION_RETRY_MIN_MS, cfg.ADMISSION_RETRY_MAX_MS),
  };
  const loop = createLoopSampler();
  const gate = createAdmissionGate({
    settings,
    sampleLoop: () => loop.sample(),
    backlog: backlog ? () => backlog.current() : undefined,
    weightOf: contractedRate(o.platform),
    refusalStatus: overloadedStatus,
    now: o.platform.now,
    logger: o.platform.logger.child({ component: "admission" }),
    onSecond: o.metrics ? meterAdmission(o.metrics) : undefined,
  });
  return {
    gate,
    async close() {
      gate.stop();
      loop.stop();
      await backlog?.close();
    },
  };
}

/** A tenant's weight is its contracted request rate (policy limits.perTenant). */
function contractedRate(platform: Pick<Platform, "policies">): (tenant: string) => number {
  return (tenant) => platform.policies.policyFor(tenant).limits.perTenant.requestsPerSecond;
}

/** The gate's refusals and load, declared on the process's registry by the gate it runs. */
function admissionMetrics(registers: Registry[]) {
  return {
    admissionRefusals: new Counter({
      name: "otp_admission_refusals_total",
      help: "Calls refused for load before any work (OTP_OVERLOADED), by admission class and reason",
      labelNames: ["class", "reason"] as const,
      registers,
    }),
    admissionLoad: new Gauge({
      name: "otp_admission_load",
      help: "The admission controller's load (1 = a signal at its limit) and its admitted start rate",
      labelNames: ["measure"] as const,
      registers,
    }),
  };
}

function meterAdmission(
  processMetrics: OtpMetrics,
): NonNullable<Parameters<typeof createAdmissionGate>[0]["onSecond"]> {
  const metrics = processMetrics.declare(admissionMetrics);
  return (refusals, control) => {
    for (const r of refusals) metrics.admissionRefusals.inc({ class: r.cls, reason: r.reason }, r.count);
    metrics.admissionLoad.set({ measure: "load" }, control.load.value);
    metrics.admissionLoad.set({ measure: "starts_per_second" }, control.limiting ? control.startsPerSec : 0);
  };
}

interface BacklogWatch {
  /** The last reading's total lag; starts a new reading when that one is stale. */
  current(): number;
  close(): Promise<void>;
}

function createBacklogWatch(reader: ConsumerLagReader): BacklogWatch {
  let last = 0;
  let reading = false;
  return {
    current() {
      if (!reading) {
        reading = true;
        reader
          .read()
          .then((lags) => {
            last = lags.reduce((sum, l) => sum + l.lag, 0);
          })
          .catch(() => undefined)
          .finally(() => {
            reading = false;
          });
      }
      return last;
    },
    close: () => reader.close(),
  };
}
