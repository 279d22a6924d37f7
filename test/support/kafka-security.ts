/**
 * TLS and SASL for the tests' own Kafka clients, from the same variables the services read
 * (KAFKA_TLS_*, KAFKA_SASL_*), so `KAFKA_BROKERS=… npm test` works against secured brokers too.
 */
import { type KafkaSecurity, kafkaSecurityFromEnv } from "@platform/bus/kafka-security";

export function testKafkaSecurity(env: NodeJS.ProcessEnv = process.env): KafkaSecurity {
  return kafkaSecurityFromEnv(env);
}
