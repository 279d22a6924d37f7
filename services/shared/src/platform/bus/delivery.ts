/**
 * What both adapters do with one stored message: decode it, hand it to the handler with
 * retries and exponential backoff, and dead-letter it when it cannot be decoded, is of an
 * unknown schema, fails with a non-retryable OtpError, or keeps failing (a dependency that is
 * away is waited for instead: isDependencyOutage). With a batch handler,
 * the same for a run of messages (`deliverBatch`). This is the one place where handler errors
 * map to Kafka retry / dead-letter.
 */
import type { Tracer } from "@opentelemetry/api";
import type { EventEnvelope } from "@proto/otp/events/v1/events";
import { type ErrorCode, isOtpError } from "@domain/errors";
import { decodeEnvelope, type StoredMessage } from "./codec";
import type { EventAuthenticator } from "./event-mac";
import type { BusLogger } from "./logger";
import type { BusMessage, MessageHandler, MessageMeta, RetryPolicy, SubscribeOptions } from "./port";
import { withBatchProcessSpans, withProcessSpan, type ProcessSpanInfo } from "./trace-context";

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

/** The most messages one batch handler call gets (see SubscribeOptions.batchHandler). */
export const MAX_BATCH_MESSAGES = 100;

export interface DeliveryContext {
  groupId: string;
  handler: MessageHandler;
  batchHandler?: SubscribeOptions["batchHandler"];
  /** Messages refused here are not decoded and count as handled (SubscribeOptions.accepts). */
  accepts?: (message: MessageMeta) => boolean;
  retry: RetryPolicy;
  maxSchemaVersion: number;
  /** Checks each decoded envelope's MAC and owner; what fails is dead-lettered, never handled. */
  authenticator?: EventAuthenticator;
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
  const envelope = await decodeOrDeadLetter(message, ctx);
  if (envelope === undefined) return "dead-lettered";
  return handleWithRetries(message, envelope, ctx, 0);
}

/** What deliverBatch did: the first `handled` messages may be committed. */
export interface BatchOutcome {
  handled: number;
  /** The consumer is stopping: the rest must be delivered again. */
  abandoned: boolean;
}

/**
 * Delivers a run of one partition's messages (at most MAX_BATCH_MESSAGES) to the batch
 * handler; when it fails, one at a time to the handler (see SubscribeOptions.batchHandler).
 */
export async function deliverBatch(messages: StoredMessage[], ctx: DeliveryContext): Promise<BatchOutcome> {
  const batchHandler = ctx.batchHandler;
  if (!batchHandler) throw new Error("deliverBatch needs a batch handler");
  const decoded: { stored: StoredMessage; envelope: EventEnvelope; index: number }[] = [];
  for (const [index, stored] of messages.entries()) {
    if (ctx.accepts?.(stored) === false) continue;
    const envelope = await decodeOrDeadLetter(stored, ctx);
    if (envelope !== undefined) decoded.push({ stored, envelope, index });
  }
  const all: BatchOutcome = { handled: messages.length, abandoned: false };
  if (decoded.length === 0) return all;
  try {
    await withBatchProcessSpans(
      ctx.tracer,
      decoded.map(({ stored }) => ({ headers: stored.headers, info: spanInfo(stored, ctx.groupId, 0) })),
      () => batchHandler(decoded.map(({ stored, envelope }) => busMessage(stored, envelope, 0))),
    );
    return all;
  } catch (err) {
    ctx.logger.debug("event batch handler failed, handling its messages one at a time", {
      ...where(decoded[0]!.stored, ctx.groupId),
      messages: decoded.length,
      code: errorCodeOf(err),
    });
  }
  if (!(await ctx.backoff(backoffMs(ctx.retry, 0)))) return { handled: decoded[0]!.index, abandoned: true };
  for (const { stored, envelope, index } of decoded) {
    if ((await handleWithRetries(stored, envelope, ctx, 1)) === "abandoned") {
      return { handled: index, abandoned: true };
    }
  }
  return all;
}

async function decodeOrDeadLetter(
  message: StoredMessage,
  ctx: DeliveryContext,
): Promise<EventEnvelope | undefined> {
  try {
    const envelope = decodeEnvelope(message.value, ctx.maxSchemaVersion);
    ctx.authenticator?.verify(message, envelope);
    return envelope;
  } catch (err) {
    await sendToDeadLetter(message, ctx, err, 0);
    return undefined;
  }
}

function spanInfo(message: StoredMessage, groupId: string, redelivery: number): ProcessSpanInfo {
  const { topic, partition, offset, key } = message;
  return { topic, partition, offset, key, groupId, redelivery };
}

function busMessage(message: StoredMessage, envelope: EventEnvelope, redelivery: number): BusMessage {
  const { topic, partition, offset, key } = message;
  return { topic, partition, offset, key, envelope, headers: { ...message.headers }, redelivery };
}

/**
 * Errors that say a dependency is away (Redis, the Kafka producer), not that the message is bad:
 * an outage of a minute must not dead-letter the messages that arrive during it, so these back
 * off (capped) and retry until the dependency is back or the consumer stops, without using up
 * the message's attempts. The partition waits meanwhile, which keeps per-key order.
 */
function isDependencyOutage(err: unknown): boolean {
  return (
    isOtpError(err) && (err.code === "OTP_STATE_UNAVAILABLE" || err.code === "OTP_DEPENDENCY_UNAVAILABLE")
  );
}

/** Hands one decoded message to the handler; `firstAttempt` attempts were made before. */
async function handleWithRetries(
  message: StoredMessage,
  envelope: EventEnvelope,
  ctx: DeliveryContext,
  firstAttempt: number,
): Promise<DeliveryOutcome> {
  // Failures that count toward the retry policy's attempts (outages do not).
  let failures = firstAttempt;
  for (let attempt = firstAttempt; ; attempt++) {
    try {
      await withProcessSpan(ctx.tracer, message.headers, spanInfo(message, ctx.groupId, attempt), () =>
        ctx.handler(busMessage(message, envelope, attempt)),
      );
      return "handled";
    } catch (err) {
      const outage = isDependencyOutage(err);
      if (!outage) failures++;
      const giveUp = !outage && ((isOtpError(err) && !err.retryable) || failures >= ctx.retry.attempts);
      if (giveUp) {
        await sendToDeadLetter(message, ctx, err, failures);
        return "dead-lettered";
      }
      const waited = attempt + 1 - failures;
      // An outage long enough to matter is worth one line now and then, not one per retry.
      const loud = outage && (waited === 10 || waited % 100 === 0);
      const fields = {
        ...where(message, ctx.groupId),
        attempt: attempt + 1,
        code: errorCodeOf(err),
        error: errorMessageOf(err),
      };
      if (loud) ctx.logger.warn("event handler waits for a dependency", fields);
      else
        ctx.logger.debug(
          outage ? "event handler waits for a dependency" : "event handler failed, retrying",
          fields,
        );
      const wait = backoffMs(ctx.retry, outage ? attempt : failures - 1);
      if (!(await ctx.backoff(wait))) return "abandoned";
    }
  }
}

/** initial × 2^retry, capped. */
function backoffMs(policy: RetryPolicy, retry: number): number {
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
