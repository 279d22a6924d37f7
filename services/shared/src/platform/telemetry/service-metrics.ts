/**
 * What a service's main does for metrics, in one call: the registry, `/metrics` on
 * METRICS_LISTEN, and the lag of its consumer groups when it runs on Kafka.
 *
 *   const observed = await startServiceMetrics({ service: "routing", env: process.env,
 *     logger, consumerGroups: [{ groupId: "routing", topics: [topics.verifications] }] });
 *   createRoutingService({ ..., metrics: observed.metrics });
 *   ...
 *   await observed.close();
 */
import { kafkaSecurityFromEnv } from "../bus/kafka-security";
import { list, readConfig, type Env } from "../config";
import type { Logger } from "../log";
import { createConsumerLagReader, type ConsumerLagReader } from "./consumer-lag";
import { createMetrics, type OtpMetrics } from "./metrics";
import { metricsListenFromEnv, startMetricsServer } from "./metrics-server";

export interface ServiceMetricsOptions {
  service: string;
  env: Env;
  logger: Logger;
  consumerGroups?: Array<{ groupId: string; topics: string[] }>;
  /** The process's Kafka requests per API so far (Platform.kafkaRequests). */
  kafkaRequests?: () => Readonly<Record<string, number>>;
  /** Events the bus refused for their MAC or producer (Platform.eventRejections). */
  eventRejections?: () => ReadonlyArray<{ reason: string; eventType: string; count: number }>;
}

export interface ServiceMetrics {
  metrics: OtpMetrics;
  /** http://host:port of the /metrics listener, when it listens. */
  url: string | undefined;
  close(): Promise<void>;
}

export async function startServiceMetrics(options: ServiceMetricsOptions): Promise<ServiceMetrics> {
  const { service, env, logger } = options;
  const metrics = createMetrics({ service });
  if (options.kafkaRequests) metrics.readKafkaRequestsFrom(options.kafkaRequests);
  if (options.eventRejections) metrics.readEventRejectionsFrom(options.eventRejections);
  const { KAFKA_BROKERS: brokers } = readConfig({ KAFKA_BROKERS: list([]) }, env);
  const groups = options.consumerGroups ?? [];
  let lag: ConsumerLagReader | undefined;
  if (brokers.length > 0 && groups.length > 0) {
    lag = createConsumerLagReader({
      brokers,
      security: kafkaSecurityFromEnv(env),
      clientId: `${service}-lag`,
      groups,
      logger,
    });
    const reader = lag;
    metrics.readConsumerLagFrom(() => reader.read());
  }
  const address = metricsListenFromEnv(env, service);
  const listener = address === undefined ? undefined : await startMetricsServer(metrics.registry, address);
  if (listener) logger.info("metrics listening", { url: `${listener.url}/metrics` });
  return {
    metrics,
    url: listener?.url,
    async close() {
      await listener?.close(1_000);
      await lag?.close();
    },
  };
}
