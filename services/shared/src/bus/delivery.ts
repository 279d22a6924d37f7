/**
 * What both adapters do with one stored message: decode it, hand it to the handler with
 * retries and exponential backoff, and dead-letter it when it cannot be decoded, is of an
 * unknown schema, fails with a non-retryable OtpError, or keeps failing. This is the one place
 * where handler errors map to Kafka retry / dead-letter.
 */
import type { Tracer } from "@opentelemetry/api";
import type { EventEnvelope } from "../../../../proto/gen/otp/events/v1/events";
import { type ErrorCode, isOtpError } from "../errors";
import { decodeEnvelope, type StoredMessage } from "./codec";
import type { BusLogger } from "./logger";
import type { MessageHandler, MessageMeta, RetryPolicy } from "./port";
import { withProcessSpan } from "./trace-context";

export const DLQ_HEADERS = {
  errorCode: "dlq-error-code",
  errorMessage: "dlq-error-message",
  originalTopic: "dlq-original-topic",
  originalPartition: "dlq-original-partition",
  originalOffset: "dlq-original-offset",
  consumerGroup: "dlq-consumer-group",
  attempts: "dlq-attempts",
  failedAt: "dlq-failed-at",
} as const;

const MAX_ERROR_MESSAGE_LENGTH = 500;

export interface DeliveryContext {
  groupId: string;
  handler: MessageHandler;
  /** Messages refused here are not decoded and count as handled (SubscribeOptions.accepts). */
  accepts?: (message: MessageMeta) => boolean;
  retry: RetryPolicy;
  maxSchemaVersion: number;
  tracer: Tracer;
  logger: BusLogger;
  /** Waits between attempts; resolves false when the consumer is stopping (give up, no commit). */
  backoff(ms: number): Promise<boolean>;
  deadLetter(source: StoredMessage, headers: Record<string, string>): Promise<void>;
  now(): Date;
}

/** "handled" and "dead-lettered" may be committed; "abandoned" must be delivered again. */
export type DeliveryOutcome = "handled" | "dead-lettered" | "abandoned";

export async function deliver(message: StoredMessage, ctx: DeliveryContext): Promise<DeliveryOutcome> {
  if (ctx.accepts?.(message) === false) return "handled";
  let envelope: EventEnvelope;
  try {
    envelope = decodeEnvelope(message.value, ctx.maxSchemaVersion);
  } catch (err) {
    await sendToDeadLetter(message, ctx, err, 0);
    return "dead-lettered";
  }

  for (let attempt = 0; ; attempt++) {
    try {
      await withProcessSpan(
        ctx.tracer,
        message.headers,
        {
          topic: message.topic,
          partition: message.partition,
          offset: message.offset,
          key: message.key,
          groupId: ctx.groupId,
          redelivery: attempt,
        },
        () =>
          ctx.handler({
            topic: message.topic,
            partition: message.partition,
            offset: message.offset,
            key: message.key,
            envelope,
            headers: { ...message.headers },
            redelivery: attempt,
          }),
      );
      return "handled";
    } catch (err) {
      const attempts = attempt + 1;
      const giveUp = (isOtpError(err) && !err.retryable) || attempts >= ctx.retry.attempts;
      if (giveUp) {
        await sendToDeadLetter(message, ctx, err, attempts);
        return "dead-lettered";
      }
      ctx.logger.debug("event handler failed, retrying", {
        ...where(message, ctx.groupId),
        attempt: attempts,
        code: errorCodeOf(err),
      });
      if (!(await ctx.backoff(backoffMs(ctx.retry, attempt)))) return "abandoned";
    }
  }
}

/** initial × 2^retry, capped. */
export function backoffMs(policy: RetryPolicy, retry: number): number {
  return Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** retry);
}

async function sendToDeadLetter(
  message: StoredMessage,
  ctx: DeliveryContext,
  err: unknown,
  attempts: number,
): Promise<void> {
  ctx.logger.warn("event dead-lettered", {
    ...where(message, ctx.groupId),
    attempts,
    code: errorCodeOf(err),
  });
  await ctx.deadLetter(message, deadLetterHeaders(message, ctx.groupId, err, attempts, ctx.now()));
}

/** The original headers plus the `dlq-*` headers saying where the message came from and why. */
export function deadLetterHeaders(
  message: StoredMessage,
  groupId: string,
  err: unknown,
  attempts: number,
  now: Date,
): Record<string, string> {
  return {
    ...message.headers,
    [DLQ_HEADERS.errorCode]: errorCodeOf(err),
    [DLQ_HEADERS.errorMessage]: errorMessageOf(err),
    [DLQ_HEADERS.originalTopic]: message.topic,
    [DLQ_HEADERS.originalPartition]: String(message.partition),
    [DLQ_HEADERS.originalOffset]: message.offset,
    [DLQ_HEADERS.consumerGroup]: groupId,
    [DLQ_HEADERS.attempts]: String(attempts),
    [DLQ_HEADERS.failedAt]: now.toISOString(),
  };
}

export function errorCodeOf(err: unknown): ErrorCode {
  return isOtpError(err) ? err.code : "OTP_INTERNAL";
}

function errorMessageOf(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.length > MAX_ERROR_MESSAGE_LENGTH ? `${text.slice(0, MAX_ERROR_MESSAGE_LENGTH)}…` : text;
}

function where(message: StoredMessage, groupId: string): Record<string, unknown> {
  return { topic: message.topic, partition: message.partition, offset: message.offset, groupId };
}
