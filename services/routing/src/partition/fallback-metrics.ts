/**
 * Fallbacks between channels, counted by the service that decides them (routing), next to
 * where it publishes FallbackTriggered:
 *
 *   recordFallback(metrics, fallback);   // fallback: the FallbackTriggered it publishes
 */
import type { FallbackTriggered } from "@proto/otp/events/v1/events";
import { channelLabel, fallbackReasonLabel } from "@platform/telemetry/labels";
import type { OtpMetrics } from "@platform/telemetry/metrics";

export function recordFallback(
  metrics: Pick<OtpMetrics, "fallbacks"> | undefined,
  fallback: Pick<FallbackTriggered, "fromChannel" | "toChannel" | "reason">,
): void {
  metrics?.fallbacks.inc({
    from: channelLabel(fallback.fromChannel),
    to: channelLabel(fallback.toChannel),
    reason: fallbackReasonLabel(fallback.reason),
  });
}
