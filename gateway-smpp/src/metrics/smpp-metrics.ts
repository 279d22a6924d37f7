/**
 * gateway-smpp's Prometheus metrics, declared on the process's registry
 * (`metrics.declare(smppMetrics)`): the per-bind gauges read the binds at scrape time, and every
 * call of the gateway's metrics recorder (its own counters, `snapshot()`) is also counted here.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { BindState } from "./gateway-metrics";

const BIND_LABELS = ["account", "bind"] as const;
const SUBMIT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5];

/** The recording side of gateway-smpp's GatewayMetrics. */
export interface SmppRecorder {
  submitResponse(bind: string, commandStatus: number | undefined, latencyMs: number): void;
  receipt(bind: string, stat: string, latencyMs: number | undefined): void;
  count(event: string, n?: number): void;
}

export type SmppMetrics = ReturnType<typeof smppMetrics>;

export function smppMetrics(registers: Registry[]) {
  let binds: () => BindState[] = () => [];
  return {
    /** The bind gauges read `source()` at every scrape. */
    readBindsFrom(source: () => BindState[]): void {
      binds = source;
    },
    ...bindGauges(registers, () => binds()),
    ...submitMetrics(registers),
  };
}

/** Gauges of every bind, set from `binds()` when Prometheus scrapes. */
function bindGauges(registers: Registry[], binds: () => BindState[]) {
  const bindGauge = (name: string, help: string, value: (bind: BindState) => number) =>
    new Gauge({
      name,
      help,
      labelNames: BIND_LABELS,
      registers,
      collect() {
        this.reset();
        for (const bind of binds()) this.set({ account: bind.account, bind: bind.name }, value(bind));
      },
    });
  return {
    smppBindUp: bindGauge("otp_smpp_bind_up", "1 while the bind is bound, 0 otherwise", (b) =>
      b.state === "bound" ? 1 : 0,
    ),
    smppWindowSize: bindGauge(
      "otp_smpp_window_size",
      "Configured window (submit_sm awaiting a response) of the bind",
      (b) => b.window,
    ),
    smppWindowInUse: bindGauge(
      "otp_smpp_window_in_use",
      "submit_sm awaiting their response on the bind now",
      (b) => b.windowInUse,
    ),
    smppQueued: bindGauge(
      "otp_smpp_queued",
      "Submits waiting for window or rate on the bind",
      (b) => b.queued,
    ),
    smppTpsLimit: bindGauge("otp_smpp_tps_limit", "Configured messages per second of the bind", (b) => b.tps),
    smppTpsCurrent: bindGauge(
      "otp_smpp_tps_current",
      "The bind's learned rate: cut once per round trip on throttling (0x58, 0x14), climbing back to the configured one",
      (b) => b.currentTps,
    ),
    smppAccountTpsLearned: bindGauge(
      "otp_smpp_account_tps_learned",
      "The learned rate of the bind's account, shared by all its binds",
      (b) => b.accountTps,
    ),
  };
}

/** Submit responses and their time, receipts, and the gateway's dispatch and receipt events. */
function submitMetrics(registers: Registry[]) {
  return {
    smppSubmitResponses: new Counter({
      name: "otp_smpp_submit_responses_total",
      help: "submit_sm responses by command_status (0x00000058 is throttling) or timeout",
      labelNames: [...BIND_LABELS, "command_status"] as const,
      registers,
    }),
    smppSubmitDuration: new Histogram({
      name: "otp_smpp_submit_duration_seconds",
      help: "From submit_sm to its response",
      labelNames: ["account"] as const,
      buckets: SUBMIT_BUCKETS,
      registers,
    }),
    smppReceipts: new Counter({
      name: "otp_smpp_receipts_total",
      help: "Delivery receipts (deliver_sm) by stat",
      labelNames: [...BIND_LABELS, "stat"] as const,
      registers,
    }),
    smppGatewayEvents: new Counter({
      name: "otp_smpp_gateway_events_total",
      help: "SMS gateway dispatch and receipt events (duplicates, sender fallbacks, unmatched receipts...)",
      labelNames: ["event"] as const,
      registers,
    }),
  };
}

/** "0x00000058", as gateway-smpp writes command_status. */
export const commandStatusLabel = (status: number | undefined): string =>
  status === undefined ? "timeout" : `0x${status.toString(16).toUpperCase().padStart(8, "0")}`;

export function exportSmppRecorder<R extends SmppRecorder>(
  recorder: R,
  metrics: SmppMetrics | undefined,
  accountOf: (bind: string) => string,
): R {
  if (metrics === undefined) return recorder;
  return {
    ...recorder,
    submitResponse(bind, commandStatus, latencyMs) {
      recorder.submitResponse(bind, commandStatus, latencyMs);
      const account = accountOf(bind);
      metrics.smppSubmitResponses.inc({ account, bind, command_status: commandStatusLabel(commandStatus) });
      if (commandStatus !== undefined) metrics.smppSubmitDuration.observe({ account }, latencyMs / 1000);
    },
    receipt(bind, stat, latencyMs) {
      recorder.receipt(bind, stat, latencyMs);
      metrics.smppReceipts.inc({ account: accountOf(bind), bind, stat });
    },
    count(event, n = 1) {
      recorder.count(event, n);
      metrics.smppGatewayEvents.inc({ event }, n);
    },
  };
}
