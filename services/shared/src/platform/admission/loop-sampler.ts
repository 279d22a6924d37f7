/**
 * Event-loop signals for admission: utilisation since the last sample
 * (performance.eventLoopUtilization) and the worst timer delay seen (monitorEventLoopDelay).
 * Both are what Fastify's under-pressure watches; both rise before latency does.
 */
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from "node:perf_hooks";

export interface LoopSampler {
  /** Utilisation (0..1) and worst lag (ms) since the previous sample. */
  sample(): { elu: number; loopLagMs: number };
  stop(): void;
}

export function createLoopSampler(resolutionMs = 10): LoopSampler {
  const delay = monitorEventLoopDelay({ resolution: resolutionMs });
  delay.enable();
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  return {
    sample() {
      const now = performance.eventLoopUtilization();
      const elu = performance.eventLoopUtilization(now, last).utilization;
      last = now;
      // The histogram counts the sampling interval itself: lag is what exceeds it.
      const loopLagMs = delay.count === 0 ? 0 : Math.max(0, delay.max / 1e6 - resolutionMs);
      delay.reset();
      return { elu, loopLagMs };
    },
    stop: () => delay.disable(),
  };
}
