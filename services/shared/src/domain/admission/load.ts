/**
 * How loaded a server is, as one number: 1 means "at the limit of what it should take", from
 * whichever signal is worst. Event-loop utilisation and lag see saturation coming before queues
 * form (Fastify's under-pressure uses the same two); in-flight calls bound memory; the pipeline's
 * backlog (consumer lag behind this service) is work already admitted that nobody has done yet,
 * which no local signal shows when the pipeline runs in other processes. Pure: no clock, no I/O.
 */

/** What a sampler measured over the last tick. */
export interface Signals {
  /** Event-loop utilisation over the tick, 0..1. */
  elu: number;
  /** How late the event loop ran timers during the tick (ms, worst seen). */
  loopLagMs: number;
  /** Gated calls admitted and not yet answered. */
  inFlight: number;
  /** Messages the pipeline behind this service has not consumed yet (0 when unknown). */
  backlog: number;
}

export interface LoadLimits {
  /** Utilisation that counts as full (below 1, so refusals still find a free loop). */
  eluTarget: number;
  /** Loop lag that counts as full. */
  loopLagMs: number;
  maxInFlight: number;
  /** Backlog that counts as full; 0 turns the signal off. */
  backlog: number;
}

export type LoadSource = "elu" | "loop-lag" | "in-flight" | "backlog";

export interface Load {
  value: number;
  /** The signal that set it (for the summary log). */
  source: LoadSource;
}

export function loadOf(s: Signals, limits: LoadLimits): Load {
  const ratios: [LoadSource, number][] = [
    ["elu", s.elu / limits.eluTarget],
    ["loop-lag", s.loopLagMs / limits.loopLagMs],
    ["in-flight", s.inFlight / limits.maxInFlight],
    ["backlog", limits.backlog > 0 ? s.backlog / limits.backlog : 0],
  ];
  let worst: Load = { value: 0, source: "elu" };
  for (const [source, value] of ratios) if (value > worst.value) worst = { value, source };
  return worst;
}
