/**
 * In-process metrics of the SMS gateway: per bind (state, window in use, submits/s, submit
 * latency, command_status counts, receipt status counts, receipt latency) and per gateway
 * (dispatch and receipt outcomes). Plain counters read through snapshot(); an exporter can
 * turn a snapshot into Prometheus or OpenTelemetry series without touching the hot path.
 */
import { commandStatusHex } from "../smpp-status";
import type { SessionState } from "../smsc-session";
import { createLatencyHistogram, type LatencyHistogram, type LatencySnapshot } from "./latency-histogram";
import { createRateMeter, type RateMeter } from "./rate-meter";

/** What the pools know about a bind right now. */
export interface BindState {
  name: string;
  account: string;
  state: SessionState;
  window: number;
  windowInUse: number;
  queued: number;
  /** Configured messages per second. */
  tps: number;
  /** The bind's learned rate: cut on throttling answers, climbing back up to `tps`. */
  currentTps: number;
  /** The account's learned rate, shared by its binds. */
  accountTps: number;
}

export interface BindSnapshot extends BindState {
  submitsPerSecond: number;
  /** submitsPerSecond ÷ tps. */
  utilisation: number;
  submitLatencyMs: LatencySnapshot;
  /** By command_status ("0x00000000") or "timeout". */
  commandStatus: Record<string, number>;
  /** By receipt stat (DELIVRD, UNDELIV...). */
  receiptStatus: Record<string, number>;
  /** From submit to final receipt. */
  receiptLatencyMs: LatencySnapshot;
}

const GATEWAY_EVENTS = [
  "dispatchesReceived",
  "dispatchesDuplicate",
  "dispatchesExpired",
  "dispatchesAccepted",
  "dispatchesFailed",
  "senderFallbacks",
  "receiptsMatchedLocally",
  "receiptsMatchedViaStore",
  "receiptsUnmatched",
  "receiptsDuplicate",
  "reportsPublished",
  "alertNotifications",
  "outbindBinds",
  "outbindsRefused",
] as const;
export type GatewayEvent = (typeof GATEWAY_EVENTS)[number];

export interface MetricsSnapshot {
  at: string;
  binds: BindSnapshot[];
  gateway: Record<GatewayEvent, number>;
}

export interface GatewayMetrics {
  submitResponse(bind: string, commandStatus: number | undefined, latencyMs: number): void;
  receipt(bind: string, stat: string, latencyMs: number | undefined): void;
  count(event: GatewayEvent, n?: number): void;
  snapshot(): MetricsSnapshot;
}

interface BindCounters {
  submits: RateMeter;
  submitLatency: LatencyHistogram;
  commandStatus: Record<string, number>;
  receiptStatus: Record<string, number>;
  receiptLatency: LatencyHistogram;
}

export interface GatewayMetricsOptions {
  /** The binds as they are now (state, window), read at snapshot time. */
  binds: () => BindState[];
  now?: () => number;
}

export function createGatewayMetrics(options: GatewayMetricsOptions): GatewayMetrics {
  const now = options.now ?? Date.now;
  const byBind = new Map<string, BindCounters>();
  const gateway = Object.fromEntries(GATEWAY_EVENTS.map((e) => [e, 0])) as Record<GatewayEvent, number>;

  const countersOf = (bind: string): BindCounters => {
    let counters = byBind.get(bind);
    if (counters === undefined) {
      counters = {
        submits: createRateMeter(),
        submitLatency: createLatencyHistogram(),
        commandStatus: {},
        receiptStatus: {},
        receiptLatency: createLatencyHistogram(),
      };
      byBind.set(bind, counters);
    }
    return counters;
  };

  return {
    submitResponse(bind, commandStatus, latencyMs) {
      const counters = countersOf(bind);
      counters.submits.mark(now());
      counters.submitLatency.observe(latencyMs);
      const label = commandStatus === undefined ? "timeout" : commandStatusHex(commandStatus);
      counters.commandStatus[label] = (counters.commandStatus[label] ?? 0) + 1;
    },
    receipt(bind, stat, latencyMs) {
      const counters = countersOf(bind);
      counters.receiptStatus[stat] = (counters.receiptStatus[stat] ?? 0) + 1;
      if (latencyMs !== undefined) counters.receiptLatency.observe(latencyMs);
    },
    count(event, n = 1) {
      gateway[event] += n;
    },
    snapshot() {
      const t = now();
      const binds = options.binds().map((state): BindSnapshot => {
        const counters = countersOf(state.name);
        const submitsPerSecond = counters.submits.perSecond(t);
        return {
          ...state,
          submitsPerSecond,
          utilisation: state.tps > 0 ? submitsPerSecond / state.tps : 0,
          submitLatencyMs: counters.submitLatency.snapshot(),
          commandStatus: { ...counters.commandStatus },
          receiptStatus: { ...counters.receiptStatus },
          receiptLatencyMs: counters.receiptLatency.snapshot(),
        };
      });
      return { at: new Date(t).toISOString(), binds, gateway: { ...gateway } };
    },
  };
}
