/**
 * What both processor adapters do with a partition's messages and a task's output: decode each
 * accepted message and hand it to the task inside a consumer span; dead-letter what cannot be
 * decoded or what the task refuses (the dead letter commits with the batch); encode the output
 * as records for the input partition, the changelog partition and other topics.
 */
import type { Tracer } from "@opentelemetry/api";
import { decodeEnvelope, encodeEnvelope, type RawMessage, type StoredMessage } from "./codec";
import { isOtpError } from "@domain/errors";
import { deadLetterHeaders, errorCodeOf } from "./delivery";
import type { EventAuthenticator } from "./event-mac";
import type { BusLogger } from "./logger";
import type { MessageMeta } from "./port";
import type { PartitionTask, TaskOutput } from "./processor-port";
import { withProcessSpan } from "./trace-context";

/** A record to write: to a given partition, or to its key's partition when none is given. */
export interface OutRecord {
  topic: string;
  partition?: number;
  message: RawMessage;
}

export interface FeedContext {
  groupId: string;
  accepts?: (message: MessageMeta) => boolean;
  maxSchemaVersion: number;
  /** Checks each input's MAC and owner, and signs the task's output. */
  authenticator?: EventAuthenticator;
  tracer: Tracer;
  logger: BusLogger;
  deadLetterTopic: (topic: string) => string;
  now(): Date;
}

/** Feeds messages to the task in order; returns the dead letters to write with its output. */
export async function feedTask(
  task: PartitionTask,
  messages: readonly StoredMessage[],
  ctx: FeedContext,
): Promise<OutRecord[]> {
  const deadLetters: OutRecord[] = [];
  for (const message of messages) {
    if (ctx.accepts?.(message) === false) continue;
    try {
      const envelope = decodeEnvelope(message.value, ctx.maxSchemaVersion);
      ctx.authenticator?.verify(message, envelope);
      await withProcessSpan(
        ctx.tracer,
        message.headers,
        {
          topic: message.topic,
          partition: message.partition,
          offset: message.offset,
          key: message.key,
          groupId: ctx.groupId,
          redelivery: 0,
        },
        async () =>
          task.handle({
            topic: message.topic,
            partition: message.partition,
            offset: message.offset,
            key: message.key,
            envelope,
            headers: { ...message.headers },
            redelivery: 0,
          }),
      );
    } catch (err) {
      // A dependency away (Redis, say) is no reason to give an input up: the whole batch fails
      // uncommitted and the partition takes it again.
      if (isOtpError(err) && err.retryable) throw err;
      ctx.logger.warn("event dead-lettered", {
        topic: message.topic,
        partition: message.partition,
        offset: message.offset,
        groupId: ctx.groupId,
        code: errorCodeOf(err),
      });
      deadLetters.push({
        topic: ctx.deadLetterTopic(message.topic),
        message: {
          key: message.key,
          value: message.value,
          headers: deadLetterHeaders(message, ctx.groupId, err, 1, ctx.now()),
        },
      });
    }
  }
  return deadLetters;
}

/** The records of a task's output: events for the input topic and the changelog on `partition`. */
export function outputRecords(
  output: TaskOutput,
  inputTopic: string,
  changelogTopic: string,
  partition: number,
  authenticator?: EventAuthenticator,
): OutRecord[] {
  const records: OutRecord[] = output.messages.map((m) => ({
    topic: m.topic,
    ...(m.topic === inputTopic ? { partition } : {}),
    message: encodeEnvelope(m.envelope, m.key, m.headers, authenticator?.sign),
  }));
  for (const change of output.changelog) {
    records.push({
      topic: changelogTopic,
      partition,
      message: { key: change.key, value: change.value, headers: {} },
    });
  }
  return records;
}

export const isEmptyOutput = (output: TaskOutput): boolean =>
  output.messages.length === 0 && output.changelog.length === 0;
