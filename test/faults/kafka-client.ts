/**
 * A Kafka bus of the test's own on a fault stack's broker, with its log lines kept (time and
 * text), for the tests of what kafkajs does after a broker stalls or dies.
 */
import { randomUUID } from "node:crypto";
import type { KafkaConfig } from "kafkajs";
import type { EventEnvelope } from "@proto/otp/events/v1/events";
import { createKafkaBus, type KafkaBus } from "@platform/bus/kafka";
import type { BusLogger } from "@platform/bus/logger";
import { envelope } from "@platform/events/envelope";
import type { FaultStack } from "./fault-stack";
import { eventually } from "./load";

export interface LoggedLine {
  at: number;
  text: string;
}

export interface ProbeBus {
  bus: KafkaBus;
  lines: LoggedLine[];
  /** A topic of this bus only. */
  topic: string;
}

export async function probeBus(
  stack: FaultStack,
  name: string,
  kafkaConfig?: Omit<KafkaConfig, "brokers" | "clientId" | "logCreator">,
): Promise<ProbeBus> {
  const lines: LoggedLine[] = [];
  const keep =
    (level: string) =>
    (message: string): void =>
      void lines.push({ at: Date.now(), text: `${level} ${message}` });
  const logger: BusLogger = {
    debug: () => undefined,
    info: keep("info"),
    warn: keep("warn"),
    error: keep("error"),
  };
  const bus = createKafkaBus({
    brokers: stack.kafka.brokers,
    clientId: `fault-${name}`,
    logger,
    kafkaConfig,
  });
  const topic = `${stack.env.OTP_TOPIC_PREFIX}${name}`;
  await bus.ensureTopics([{ name: topic, partitions: 1 }]);
  return { bus, lines, topic };
}

/** An event whose verification id names it, so the log can be read back by name. */
export function namedEvent(name: string): EventEnvelope {
  return envelope(
    { verificationId: name, tenant: "fault", at: new Date() },
    { $case: "verificationExpired", value: {} },
  );
}

/** The names on the topic, in order, once every name in `expected` is there. */
export async function namesOnTopic(probe: ProbeBus, expected: readonly string[]): Promise<string[]> {
  const seen: string[] = [];
  const subscription = await probe.bus.subscribe({
    groupId: `fault-read-${randomUUID()}`,
    topics: [probe.topic],
    fromBeginning: true,
    handler: async (m) => void seen.push(m.envelope.verificationId),
  });
  try {
    await eventually(
      `${expected.join(", ")} on ${probe.topic}`,
      () => expected.every((name) => seen.includes(name)),
      20_000,
      () => `on the log: ${seen.join(", ")}`,
    );
    return seen;
  } finally {
    await subscription.stop();
  }
}
