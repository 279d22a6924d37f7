/**
 * The event bus's metrics, in every process: its consumer groups' lag, the requests its Kafka
 * clients sent, the events its consumers refused. Each is read at scrape time from a source
 * the process sets (startServiceMetrics does); without one, the metric has no series.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { PartitionLag } from "./consumer-lag";

interface BusSources {
  consumerLag?: () => Promise<PartitionLag[]>;
  kafkaRequests?: () => Readonly<Record<string, number>>;
  eventRejections?: () => ReadonlyArray<{ reason: string; eventType: string; count: number }>;
}

export function busMetrics(registers: Registry[]) {
  const sources: BusSources = {};
  consumerLagGauge(registers, () => sources.consumerLag);
  kafkaRequestsCounter(registers, () => sources.kafkaRequests);
  eventsRejectedCounter(registers, () => sources.eventRejections);
  return {
    /** The consumer lag gauge awaits `lag()` at every scrape. */
    readConsumerLagFrom(lag: NonNullable<BusSources["consumerLag"]>): void {
      sources.consumerLag = lag;
    },
    /** The Kafka request counter reads the process's running totals per API at every scrape. */
    readKafkaRequestsFrom(counts: NonNullable<BusSources["kafkaRequests"]>): void {
      sources.kafkaRequests = counts;
    },
    /** The rejected-events counter reads the bus's running totals at every scrape. */
    readEventRejectionsFrom(rejections: BusSources["eventRejections"]): void {
      sources.eventRejections = rejections;
    },
  };
}

function consumerLagGauge(registers: Registry[], source: () => BusSources["consumerLag"]) {
  return new Gauge({
    name: "otp_kafka_consumer_lag",
    help: "Messages between the group's committed offset and the partition's end",
    labelNames: ["group", "topic", "partition"] as const,
    registers,
    async collect() {
      const read = source();
      if (read === undefined) return;
      const lags = await read();
      this.reset();
      for (const { group, topic, partition, lag } of lags) {
        this.set({ group, topic, partition: String(partition) }, lag);
      }
    },
  });
}

function kafkaRequestsCounter(registers: Registry[], source: () => BusSources["kafkaRequests"]) {
  return new Counter({
    name: "otp_kafka_requests_total",
    help: "Requests the process's Kafka clients sent to the brokers, by API (Produce, Fetch, EndTxn...)",
    labelNames: ["api"] as const,
    registers,
    collect() {
      const read = source();
      if (read === undefined) return;
      // Running totals kept by the bus's instrumentation; copied in, never decreasing.
      this.reset();
      for (const [api, n] of Object.entries(read())) this.inc({ api }, n);
    },
  });
}

function eventsRejectedCounter(registers: Registry[], source: () => BusSources["eventRejections"]) {
  return new Counter({
    name: "otp_events_rejected_total",
    help:
      "Events a consumer refused and dead-lettered because their MAC was missing, of an unknown key " +
      "or wrong, or their producer does not own their type (ADR 0010), by reason and event type",
    labelNames: ["reason", "event_type"] as const,
    registers,
    collect() {
      const read = source();
      if (read === undefined) return;
      this.reset();
      for (const { reason, eventType, count } of read()) this.inc({ reason, event_type: eventType }, count);
    },
  });
}
