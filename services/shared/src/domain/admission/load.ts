/**
 * How loaded a server is, as one number: 1 means "at the limit of what it should take", from
 * whichever signal is worst. Event-loop utilisation and lag see saturation coming before queues
 * form (Fastify's under-pressure uses the same two); in-flight calls bound memory; the pipeline's
 * backlog (consumer lag behind this service) is work already admitted that nobody has done yet,
 * which no local signal shows when the pipeline runs in other processes. Pure: no clock, no I/O.
 *
 * The loop signals count only as far as admitted calls make the loop's work. Under a flood most
 * of a busy loop is refusals, which cutting the admitted rate does not remove (refused callers
 * come back, so they grow): weighting the loop by the admitted calls' share of it keeps the
 * controller from cutting starts towards nothing while the pipeline behind has room — the
 * collapse an overloaded server must not have. The backlog and the calls in flight are the
 * admitted calls' own, and count in full.
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
  /**
   * Gated calls admitted and refused during the tick (every class). Absent: the loop is taken
   * to be all admitted work.
   */
  admittedCalls?: number;
  refusedCalls?: number;
}

/**
 * What an admitted call costs the loop, in refusals: a start runs its limits script, a Kafka
 * append and a projection; a refusal answers a built status (measured: about 0.75 ms against
 * 0.19 ms of CPU).
 */
const ADMITTED_CALL_COST = 4;

/** The admitted calls' share of the loop's work during a tick, 0..1. */
function admittedShare(s: Signals): number {
  if (s.admittedCalls === undefined || s.refusedCalls === undefined) return 1;
  const admitted = s.admittedCalls * ADMITTED_CALL_COST;
  return admitted + s.refusedCalls === 0 ? 1 : admitted / (admitted + s.refusedCalls);
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
  const share = admittedShare(s);
  const ratios: [LoadSource, number][] = [
    ["elu", (s.elu / limits.eluTarget) * share],
    ["loop-lag", (s.loopLagMs / limits.loopLagMs) * share],
    ["in-flight", s.inFlight / limits.maxInFlight],
    ["backlog", limits.backlog > 0 ? s.backlog / limits.backlog : 0],
  ];
  let worst: Load = { value: 0, source: "elu" };
  for (const [source, value] of ratios) if (value > worst.value) worst = { value, source };
  return worst;
}
