/**
 * What travels on the bus and what a consumer holds: the shapes both ports (port.ts and
 * processor-port.ts) speak in.
 */
import type { EventEnvelope } from "@proto/otp/events/v1/events";

export interface OutgoingMessage {
  topic: string;
  envelope: EventEnvelope;
  key?: string;
  headers?: Record<string, string>;
}

export interface BusMessage {
  topic: string;
  partition: number;
  /** Offset within the partition, as a decimal string. */
  offset: string;
  key: string;
  envelope: EventEnvelope;
  headers: Record<string, string>;
  /** How many times this message has been handed to a handler before (0 the first time). */
  redelivery: number;
}

/** What a subscriber sees of a message before it is decoded. */
export interface MessageMeta {
  key: string;
  headers: Readonly<Record<string, string>>;
}

export interface Subscription {
  /**
   * Resolves once the consumer has joined its group and been assigned partitions; the group
   * receives every message published after this, also when it started at the latest offset.
   */
  readonly ready: Promise<void>;
  /**
   * Finishes the message in hand, commits, and leaves the group. A message waiting for a
   * retry is given up uncommitted, so it is delivered again (here or to another member).
   */
  stop(): Promise<void>;
}
