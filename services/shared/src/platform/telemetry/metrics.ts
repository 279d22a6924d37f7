/**
 * The process's Prometheus registry, and how each part of the process declares its metrics on
 * it. One Registry per process, made by createMetrics() in the service's main (or in the
 * all-in-one process, whose services all share it) and passed to the factories that record
 * into it; nothing is global.
 *
 * Every process has Node.js's process metrics and the event bus's (bus-metrics.ts). Everything
 * else is declared by the part that records it, next to its code, as a MetricSet: the
 * platform's adapters (gRPC requests, admission, the connectors' deliveries) and each
 * service's own (telemetry/README.md lists them). A process declares only the metrics of the
 * parts it runs; names, labels, help texts and buckets agree with the dashboards and alert
 * rules in deploy/ (test/observability checks that every name those use is exported). Label
 * values are bounded sets (channels, districts, routes, operators, outcomes, stable reason
 * codes): never a phone number, a code or an id.
 */
import { collectDefaultMetrics, Registry } from "prom-client";
import { busMetrics } from "./bus-metrics";

export interface MetricsOptions {
  /** The `service` label on every series (issuance, routing, gateway-smpp...). */
  service: string;
  /** Node.js process metrics (CPU, memory, event loop lag, GC). Default true. */
  processMetrics?: boolean;
}

/**
 * A set of metrics declared together, one part's own (a service's, or a platform adapter's):
 * makes them on `registers` (`new Counter({ name, help, labelNames, registers })`) and returns
 * them, typed. A module-level function, so that `declare` knows the set by it.
 */
export type MetricSet<T> = (registers: Registry[]) => T;

export function createMetrics(options: MetricsOptions) {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const declared = new Map<MetricSet<unknown>, unknown>();
  const declareOnce = <T>(set: MetricSet<T>): T => {
    if (!declared.has(set)) declared.set(set, set([registry]));
    return declared.get(set) as T;
  };
  return {
    registry,
    /**
     * The set's metrics on this registry: declared the first time they are asked for, the same
     * ones afterwards, so services sharing a process (all-in-one) share its series and never
     * register a name twice.
     */
    declare: declareOnce,
    ...declareOnce(busMetrics),
  };
}

/** The process's metrics: its registry, `declare` for each part's own, and the bus's sources. */
export type OtpMetrics = ReturnType<typeof createMetrics>;
