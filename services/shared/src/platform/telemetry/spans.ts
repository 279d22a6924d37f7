/** Small span helpers for the places that trace their own work (SMPP, WhatsApp, voice). */
import { type Attributes, context, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { recordFailure } from "../bus/trace-context";

const CHANNEL_TRACER = "otp-router.channels";

/** Runs `work` in a child span of the active one; a throw marks the span failed. */
export async function withSpan<T>(
  name: string,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
  kind: SpanKind = SpanKind.INTERNAL,
): Promise<T> {
  const span = trace.getTracer(CHANNEL_TRACER).startSpan(name, { kind, attributes });
  try {
    return await context.with(trace.setSpan(context.active(), span), () => work(span));
  } catch (err) {
    recordFailure(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/**
 * A failure that arrives as data rather than as a thrown error (a FAILED receipt, an UNDELIV
 * delivery receipt): exception event, status ERROR and `error.type` = the stable reason code.
 */
export function markFailed(span: Span | undefined, reason: string, message: string): void {
  if (span === undefined) return;
  span.recordException({ name: reason, message });
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  span.setAttribute("error.type", reason);
}
