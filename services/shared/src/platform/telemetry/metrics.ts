/**
 * The Prometheus metrics of every service, in one catalogue so that names and labels agree
 * across processes and with the dashboards and alert rules in deploy/ (a test checks that every
 * name those use is exported). One Registry per process, made by createMetrics() in the
 * service's main and passed to the factories that record into it; nothing is global.
 *
 * Every process registers the whole catalogue and records what it sees; series appear once a
 * label set has been recorded. Label values are bounded sets (channels, districts, routes,
 * operators, outcomes, stable reason codes): never a phone number, a code or an id.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";

export interface MetricsOptions {
  /** The `service` label on every series (issuance, routing, gateway-smpp...). */
  service: string;
  /** Node.js process metrics (CPU, memory, event loop lag, GC). Default true. */
  processMetrics?: boolean;
}

/** Committed offset vs end of one partition, as a lag collector read it. */
export interface PartitionLag {
  group: string;
  topic: string;
  partition: number;
  lag: number;
}

/**
 * A set of metrics declared together, one part's own (a service's, or a platform adapter's):
 * makes them on `registers` (`new Counter({ name, help, labelNames, registers })`) and returns
 * them, typed. A module-level function, so that `declare` knows the set by it.
 */
export type MetricSet<T> = (registers: Registry[]) => T;

/** Where scrape-time gauges read from; set by the process that has the source. */
interface ScrapeSources {
  consumerLag?: () => Promise<PartitionLag[]>;
  kafkaRequests?: () => Readonly<Record<string, number>>;
  eventRejections?: () => ReadonlyArray<{ reason: string; eventType: string; count: number }>;
}

export function createMetrics(options: MetricsOptions) {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const sources: ScrapeSources = {};
  const declared = new Map<MetricSet<unknown>, unknown>();
  return {
    registry,
    /**
     * The set's metrics on this registry: declared the first time they are asked for, the same
     * ones afterwards, so services sharing a process (all-in-one) share its series and never
     * register a name twice.
     */
    declare<T>(set: MetricSet<T>): T {
      if (!declared.has(set)) declared.set(set, set(registers));
      return declared.get(set) as T;
    },
    /** The consumer lag gauge awaits `lag()` at every scrape. */
    readConsumerLagFrom(lag: () => Promise<PartitionLag[]>): void {
      sources.consumerLag = lag;
    },
    /** The Kafka request counter reads the process's running totals per API at every scrape. */
    readKafkaRequestsFrom(counts: () => Readonly<Record<string, number>>): void {
      sources.kafkaRequests = counts;
    },
    /** The rejected-events counter reads the bus's running totals at every scrape. */
    readEventRejectionsFrom(rejections: ScrapeSources["eventRejections"]): void {
      sources.eventRejections = rejections;
    },

    // Kafka.
    consumerLag: new Gauge({
      name: "otp_kafka_consumer_lag",
      help: "Messages between the group's committed offset and the partition's end",
      labelNames: ["group", "topic", "partition"] as const,
      registers,
      async collect() {
        if (sources.consumerLag === undefined) return;
        const lags = await sources.consumerLag();
        this.reset();
        for (const { group, topic, partition, lag } of lags) {
          this.set({ group, topic, partition: String(partition) }, lag);
        }
      },
    }),
    kafkaRequests: new Counter({
      name: "otp_kafka_requests_total",
      help: "Requests the process's Kafka clients sent to the brokers, by API (Produce, Fetch, EndTxn...)",
      labelNames: ["api"] as const,
      registers,
      collect() {
        if (sources.kafkaRequests === undefined) return;
        // Running totals kept by the bus's instrumentation; copied in, never decreasing.
        this.reset();
        for (const [api, n] of Object.entries(sources.kafkaRequests())) this.inc({ api }, n);
      },
    }),
    eventsRejected: new Counter({
      name: "otp_events_rejected_total",
      help:
        "Events a consumer refused and dead-lettered because their MAC was missing, of an unknown key " +
        "or wrong, or their producer does not own their type (ADR 0010), by reason and event type",
      labelNames: ["reason", "event_type"] as const,
      registers,
      collect() {
        if (sources.eventRejections === undefined) return;
        this.reset();
        for (const { reason, eventType, count } of sources.eventRejections()) {
          this.inc({ reason, event_type: eventType }, count);
        }
      },
    }),
  };
}

export type OtpMetrics = ReturnType<typeof createMetrics>;
