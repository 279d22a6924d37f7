/**
 * gateway-smpp's own per-bind counters (its metrics snapshot) exported to Prometheus: every
 * call of its metrics recorder is also counted here, and the bind gauges read the binds at
 * scrape time (see metrics.ts). Typed by shape, so the shared library does not depend on the
 * gateway.
 */
import type { OtpMetrics } from "@platform/telemetry/metrics";

/** The recording side of gateway-smpp's GatewayMetrics. */
export interface SmppRecorder {
  submitResponse(bind: string, commandStatus: number | undefined, latencyMs: number): void;
  receipt(bind: string, stat: string, latencyMs: number | undefined): void;
  count(event: string, n?: number): void;
}

type SmppMetrics = Pick<
  OtpMetrics,
  "smppSubmitResponses" | "smppSubmitDuration" | "smppReceipts" | "smppGatewayEvents"
>;

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
