/**
 * Fallbacks between channels, counted by the service that decides them (routing), next to
 * where it publishes FallbackTriggered:
 *
 *   const fallbacks = metrics.declare(fallbackMetrics);   // once, on the process's registry
 *   recordFallback(fallbacks, fallback);   // fallback: the FallbackTriggered it publishes
 */
import { Counter, type Registry } from "prom-client";
import type { FallbackTriggered } from "@proto/otp/events/v1/events";
import { channelLabel, fallbackReasonLabel } from "@platform/telemetry/labels";

export type FallbackMetrics = ReturnType<typeof fallbackMetrics>;

export function fallbackMetrics(registers: Registry[]) {
  return {
    fallbacks: new Counter({
      name: "otp_fallbacks_total",
      help: "Fallbacks from one channel to the next, by reason",
      labelNames: ["from", "to", "reason"] as const,
      registers,
    }),
  };
}

export function recordFallback(
  metrics: FallbackMetrics | undefined,
  fallback: Pick<FallbackTriggered, "fromChannel" | "toChannel" | "reason">,
): void {
  metrics?.fallbacks.inc({
    from: channelLabel(fallback.fromChannel),
    to: channelLabel(fallback.toChannel),
    reason: fallbackReasonLabel(fallback.reason),
  });
}
