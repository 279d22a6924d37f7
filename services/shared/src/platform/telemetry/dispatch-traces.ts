/**
 * Keeps one verification in one trace across the asynchronous gap of a channel: a receipt
 * (SMPP deliver_sm, a WhatsApp or voice webhook) arrives in a context of its own, often on
 * another replica, long after the dispatch's span ended. The connector remembers, per attempt,
 * the span that sent it — in memory and, for receipts landing on another replica, as a W3C
 * traceparent in the store (only while tracing is on) — and reports each receipt in a span that
 * continues that trace, linked to the span the receipt arrived in (a webhook's server span).
 */
import {
  type Attributes,
  type Context,
  context,
  type Link,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  trace,
  TraceFlags,
  type Tracer,
} from "@opentelemetry/api";
import { recordFailure } from "../bus/trace-context";
import type { Store } from "../store/port";

export interface TracedAttempt {
  verificationId: string;
  attempt: number;
  /** The code's expiry: receipts after it are not worth a trace. */
  expiresAtMs: number;
}

export interface DispatchTraces {
  /** Call inside the span that sends the attempt. */
  remember(attempt: TracedAttempt): void;
  /** Runs `work` in a span continuing the attempt's trace (or the current one if unknown). */
  continueAttempt<T>(
    attempt: Pick<TracedAttempt, "verificationId" | "attempt">,
    name: string,
    attributes: Attributes,
    work: (span: Span) => Promise<T> | T,
  ): Promise<T>;
}

export interface DispatchTracesOptions {
  store: Store;
  tracer?: Tracer;
  now?: () => number;
  /** Receipts can come late (SMSCs retry DLRs): keep the anchor this long past the expiry. */
  graceMs?: number;
  maxRemembered?: number;
}

const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Whether an SDK is registered (else spans are no-ops and nothing is worth remembering). */
function tracingActive(): boolean {
  const provider = trace.getTracerProvider();
  const delegate = provider instanceof ProxyTracerProvider ? provider.getDelegate() : provider;
  return delegate !== NOOP_PROVIDER;
}

export function createDispatchTraces(options: DispatchTracesOptions): DispatchTraces {
  const { store } = options;
  const tracer = options.tracer ?? trace.getTracer("otp-router.channels");
  const now = options.now ?? Date.now;
  const graceMs = options.graceMs ?? 15 * 60_000;
  const maxRemembered = options.maxRemembered ?? 20_000;
  const remembered = new Map<string, { span: SpanContext; until: number }>();
  const keyOf = (a: Pick<TracedAttempt, "verificationId" | "attempt">) => `${a.verificationId}#${a.attempt}`;
  const storeKey = (key: string) => store.key(`trace|${key}`);

  const recallLocal = (key: string): SpanContext | undefined => {
    const local = remembered.get(key);
    return local !== undefined && local.until > now() ? local.span : undefined;
  };
  const recallStored = async (key: string): Promise<SpanContext | undefined> => {
    const stored = await store.get(storeKey(key)).catch(() => null);
    return stored === null ? undefined : parseTraceparent(stored);
  };

  return {
    remember(attempt) {
      const span = trace.getSpanContext(context.active());
      if (span === undefined || !trace.isSpanContextValid(span) || !tracingActive()) return;
      const until = Math.max(attempt.expiresAtMs, now()) + graceMs;
      const key = keyOf(attempt);
      remembered.delete(key);
      remembered.set(key, { span, until });
      if (remembered.size > maxRemembered) remembered.delete(remembered.keys().next().value!);
      // Best effort: a receipt on another replica then starts its own trace.
      void store.set(storeKey(key), formatTraceparent(span), { ttlMs: until - now() }).catch(() => false);
    },

    async continueAttempt(attempt, name, attributes, work) {
      const current = trace.getSpanContext(context.active());
      // In memory the work starts at once (receipts keep their order); the store is asked
      // only for attempts sent by another replica or before a restart.
      const tracing = tracingActive();
      const key = keyOf(attempt);
      const anchor = !tracing ? undefined : (recallLocal(key) ?? (await recallStored(key)));
      const sameTrace = anchor !== undefined && current?.traceId === anchor.traceId;
      const parent: Context =
        anchor === undefined || sameTrace ? context.active() : trace.setSpanContext(ROOT_CONTEXT, anchor);
      const links: Link[] =
        current !== undefined && trace.isSpanContextValid(current) && !sameTrace && anchor !== undefined
          ? [{ context: current }]
          : [];
      const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes, links }, parent);
      try {
        return await context.with(trace.setSpan(parent, span), () => work(span));
      } catch (err) {
        recordFailure(span, err);
        throw err;
      } finally {
        span.end();
      }
    },
  };
}

export function formatTraceparent(span: SpanContext): string {
  return `00-${span.traceId}-${span.spanId}-${(span.traceFlags & TraceFlags.SAMPLED ? 1 : 0).toString(16).padStart(2, "0")}`;
}

export function parseTraceparent(value: string): SpanContext | undefined {
  const match = TRACEPARENT.exec(value);
  if (!match) return undefined;
  return { traceId: match[1]!, spanId: match[2]!, traceFlags: parseInt(match[3]!, 16), isRemote: true };
}
