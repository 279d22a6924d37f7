/**
 * Kafka topics. One topic holds a verification's whole life (started, routed, dispatched,
 * receipts, checks, end), keyed by verification id, so its history is totally ordered and one
 * consumer sees it in order; connectors pick the dispatches of their channel from it.
 * Incidents and channel health are keyed by district on their own topic.
 */
import type { TopicSpec } from "./port";

export const TOPICS = {
  verifications: "otp.verifications.v1",
  routing: "otp.routing.v1",
  routingState: "otp.routing.state.v1",
} as const;

export interface TopicNames {
  verifications: string;
  routing: string;
  /** Routing's changelog: the state of each live verification, compacted (ADR 0007). */
  routingState: string;
}

/** Topic names under a prefix (tests and several environments on one cluster). */
export function topicNames(prefix = ""): TopicNames {
  return {
    verifications: prefix + TOPICS.verifications,
    routing: prefix + TOPICS.routing,
    routingState: prefix + TOPICS.routingState,
  };
}

/** Topics with their partitions and, when given, how long their events are kept. */
export function topicSpecs(names: TopicNames, partitions = 12, retentionMs?: number): TopicSpec[] {
  return [
    { name: names.verifications, partitions, retentionMs },
    { name: names.routing, partitions: Math.max(1, Math.floor(partitions / 4)), retentionMs },
    // Partition N holds the routing state of verifications partition N.
    { name: names.routingState, partitions, compacted: true },
  ];
}
