/**
 * Kafka topics. One topic holds a verification's whole life (started, routed, dispatched,
 * receipts, checks, end), keyed by verification id, so its history is totally ordered and one
 * consumer sees it in order; connectors pick the dispatches of their channel from it.
 * Incidents and channel health are keyed by district on their own topic.
 */
import type { TopicSpec } from "../bus/port";

export const TOPICS = {
  verifications: "otp.verifications.v1",
  routing: "otp.routing.v1",
} as const;

export interface TopicNames {
  verifications: string;
  routing: string;
}

/** Topic names under a prefix (tests and several environments on one cluster). */
export function topicNames(prefix = ""): TopicNames {
  return { verifications: prefix + TOPICS.verifications, routing: prefix + TOPICS.routing };
}

/** Topics with their partitions and, when given, how long their events are kept. */
export function topicSpecs(names: TopicNames, partitions = 12, retentionMs?: number): TopicSpec[] {
  return [
    { name: names.verifications, partitions, retentionMs },
    { name: names.routing, partitions: Math.max(1, Math.floor(partitions / 4)), retentionMs },
  ];
}
