/**
 * Counts the requests a process's kafkajs clients send to the brokers, per API (Produce, Fetch,
 * AddPartitionsToTxn, Heartbeat...), from kafkajs's instrumentation events (`REQUEST` on every
 * producer, consumer and admin made from one Kafka client). Exported as
 * `otp_kafka_requests_total{api}`: what the brokers do for the process, request by request.
 */
import type { Kafka } from "kafkajs";

export type KafkaRequestCounts = Readonly<Record<string, number>>;

export interface KafkaRequestTally {
  record: (api: string) => void;
  /** Requests answered (or failed) so far, per API name. */
  counts: () => KafkaRequestCounts;
}

export function createKafkaRequestTally(): KafkaRequestTally {
  const counts = new Map<string, number>();
  return {
    record: (api) => void counts.set(api, (counts.get(api) ?? 0) + 1),
    counts: () => Object.fromEntries(counts),
  };
}

/** Makes every producer, consumer and admin that `kafka` creates report its requests to `record`. */
export function countKafkaRequests(kafka: Kafka, record: (api: string) => void): Kafka {
  const producer = kafka.producer.bind(kafka);
  const consumer = kafka.consumer.bind(kafka);
  const admin = kafka.admin.bind(kafka);
  kafka.producer = (config) => {
    const client = producer(config);
    client.on(client.events.REQUEST, (event) => record(event.payload.apiName));
    return client;
  };
  kafka.consumer = (config) => {
    const client = consumer(config);
    client.on(client.events.REQUEST, (event) => record(event.payload.apiName));
    return client;
  };
  kafka.admin = (config) => {
    const client = admin(config);
    client.on(client.events.REQUEST, (event) => record(event.payload.apiName));
    return client;
  };
  return kafka;
}
