/**
 * W3C trace context across the bus: a producer span whose context is injected into the
 * message headers (`traceparent`, `tracestate`), and a consumer span per handler attempt that
 * continues it, so one verification is one trace across services. Uses only
 * @opentelemetry/api: without an SDK the spans are no-ops and the caller's context passes
 * through unchanged.
 */
import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from "@opentelemetry/api";
import { isOtpError } from "@domain/errors";
import { HEADERS } from "./codec";

const TRACER_NAME = "otp-router.bus";

export function defaultTracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

function sendAttributes(topic: string, messageCount: number): Attributes {
  const attributes: Attributes = {
    "messaging.system": "kafka",
    "messaging.operation.type": "send",
    "messaging.destination.name": topic,
  };
  if (messageCount !== 1) attributes["messaging.batch.message_count"] = messageCount;
  return attributes;
}

/** Runs `send` inside a producer span, with the headers that carry that span's context. */
export async function withPublishSpan<T>(
  tracer: Tracer,
  topic: string,
  messageCount: number,
  send: (traceHeaders: Record<string, string>) => Promise<T>,
): Promise<T> {
  const span = tracer.startSpan(`send ${topic}`, {
    kind: SpanKind.PRODUCER,
    attributes: sendAttributes(topic, messageCount),
  });
  const spanContext = trace.setSpan(context.active(), span);
  const traceHeaders: Record<string, string> = {};
  propagation.inject(spanContext, traceHeaders);
  try {
    return await context.with(spanContext, () => send(traceHeaders));
  } catch (err) {
    recordFailure(span, err);
    throw err;
  } finally {
    span.end();
  }
}

export interface ProcessSpanInfo {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  groupId: string;
  redelivery: number;
}

function processAttributes(headers: Record<string, string>, info: ProcessSpanInfo): Attributes {
  return {
    "messaging.system": "kafka",
    "messaging.operation.type": "process",
    "messaging.destination.name": info.topic,
    "messaging.destination.partition.id": String(info.partition),
    "messaging.kafka.offset": Number(info.offset),
    "messaging.kafka.message.key": info.key,
    "messaging.consumer.group.name": info.groupId,
    "otp.bus.redelivery": info.redelivery,
    // The envelope's event case (codec.ts writes it into the headers): which step of the
    // verification this is, readable in Jaeger without decoding the message.
    "otp.event.type": headers[HEADERS.eventType] ?? "unknown",
  };
}

/** Runs `handle` inside a consumer span that continues the trace found in `headers`. */
export async function withProcessSpan(
  tracer: Tracer,
  headers: Record<string, string>,
  info: ProcessSpanInfo,
  handle: () => Promise<void>,
): Promise<void> {
  const parent: Context = propagation.extract(ROOT_CONTEXT, headers);
  const span = tracer.startSpan(
    `process ${info.topic}`,
    { kind: SpanKind.CONSUMER, attributes: processAttributes(headers, info) },
    parent,
  );
  try {
    await context.with(trace.setSpan(parent, span), handle);
  } catch (err) {
    recordFailure(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/**
 * Runs `handle` for a run of messages (a batch handler): one consumer span per message, each
 * continuing its own message's trace as withProcessSpan does, marked with the batch size;
 * `handle` runs inside the first one.
 */
export async function withBatchProcessSpans(
  tracer: Tracer,
  messages: { headers: Record<string, string>; info: ProcessSpanInfo }[],
  handle: () => Promise<void>,
): Promise<void> {
  const spans = messages.map(({ headers, info }) => {
    const parent = propagation.extract(ROOT_CONTEXT, headers);
    const span = tracer.startSpan(
      `process ${info.topic}`,
      { kind: SpanKind.CONSUMER, attributes: processAttributes(headers, info) },
      parent,
    );
    if (messages.length !== 1) span.setAttribute("messaging.batch.message_count", messages.length);
    return { span, parent };
  });
  const first = spans[0];
  try {
    await (first ? context.with(trace.setSpan(first.parent, first.span), handle) : handle());
  } catch (err) {
    spans.forEach(({ span }) => recordFailure(span, err));
    throw err;
  } finally {
    spans.forEach(({ span }) => span.end());
  }
}

/** Marks a span failed: the exception, status ERROR, and `error.type` (the OtpError code). */
export function recordFailure(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR });
  span.setAttribute("error.type", isOtpError(err) ? err.code : err instanceof Error ? err.name : "unknown");
}

/**
 * A producer span for messages decided now and written later (in a transaction with others):
 * its context goes into the messages' headers; `end` is called once they are committed. A span
 * never ended (its transaction aborted) is never exported.
 */
export function startProducerSpan(
  tracer: Tracer,
  topic: string,
  messageCount: number,
): { headers: Record<string, string>; end(): void } {
  const span = tracer.startSpan(`send ${topic}`, {
    kind: SpanKind.PRODUCER,
    attributes: sendAttributes(topic, messageCount),
  });
  const headers: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), headers);
  return { headers, end: () => span.end() };
}
