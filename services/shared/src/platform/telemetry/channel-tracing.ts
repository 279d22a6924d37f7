/**
 * Spans of the HTTP channel connectors (WhatsApp, voice): `<channel> send` around the handling
 * of a DispatchRequested (the provider API calls, with their retries and sender failover;
 * fetch is not instrumented, so this is the HTTP client span), and `<channel> report` around
 * each DeliveryReported, continuing the attempt's trace when the receipt came through a
 * webhook (whose server span, from the HTTP instrumentation, is linked). A FAILED or EXPIRED
 * receipt marks its span — and the send span, while it is open — with status ERROR and
 * `error.type` = the stable reason code.
 */
import type { Span } from "@opentelemetry/api";
import type { EventEnvelope } from "@proto/otp/events/v1/events";
import { type Channel, DeliveryStatus } from "@proto/otp/v1/common";
import { eventOf } from "../events/envelope";
import type { ChannelReceipt, ReceiptSink } from "../http/channel-dispatch";
import type { Store } from "../store/port";
import { createDispatchTraces } from "./dispatch-traces";
import { channelLabel, deliveryStatusLabel } from "./labels";
import { markFailed, withSpan } from "./spans";

export interface ChannelTracing {
  /** Runs the handling of a bus message; a dispatch of this channel gets its send span. */
  handle<T>(envelope: EventEnvelope, work: () => Promise<T>): Promise<T>;
  /** The receipt sink, with a report span per receipt. */
  receipts(sink: ReceiptSink): ReceiptSink;
}

export function createChannelTracing(channel: Channel, store: Store, now: () => number): ChannelTracing {
  const name = channelLabel(channel);
  const traces = createDispatchTraces({ store, now });
  const sending = new Map<string, Span>();
  const keyOf = (verificationId: string, attempt: number) => `${verificationId}#${attempt}`;

  return {
    handle(envelope, work) {
      const dispatch = eventOf(envelope, "dispatchRequested");
      if (dispatch === undefined || dispatch.channel !== channel) return work();
      const attempt = {
        verificationId: envelope.verificationId,
        attempt: dispatch.attempt,
        expiresAtMs: dispatch.expiresAt?.getTime() ?? now(),
      };
      const attributes = {
        "otp.verification.id": envelope.verificationId,
        "otp.attempt": dispatch.attempt,
        "otp.channel": name,
        "otp.route": dispatch.route,
        "otp.district": dispatch.district,
        "otp.operator": dispatch.operator,
        "otp.masked_phone": dispatch.maskedPhone,
      };
      return withSpan(`${name} send`, attributes, async (span) => {
        const key = keyOf(attempt.verificationId, attempt.attempt);
        traces.remember(attempt);
        sending.set(key, span);
        try {
          return await work();
        } finally {
          sending.delete(key);
        }
      });
    },

    receipts(sink) {
      return (receipt) =>
        traces.continueAttempt(receipt, `${name} report`, reportAttributes(receipt), (span) => {
          if (isFailure(receipt)) {
            const message = `${name} ${deliveryStatusLabel(receipt.status)}`;
            markFailed(span, receipt.reason || "FAILED", message);
            markFailed(sending.get(keyOf(receipt.verificationId, receipt.attempt)), receipt.reason, message);
          }
          return sink(receipt);
        });
    },
  };
}

const isFailure = (receipt: ChannelReceipt): boolean =>
  receipt.status === DeliveryStatus.DELIVERY_STATUS_FAILED ||
  receipt.status === DeliveryStatus.DELIVERY_STATUS_EXPIRED;

const reportAttributes = (receipt: ChannelReceipt) => ({
  "otp.verification.id": receipt.verificationId,
  "otp.attempt": receipt.attempt,
  "otp.channel": channelLabel(receipt.channel),
  "otp.route": receipt.route,
  "otp.district": receipt.district,
  "otp.operator": receipt.operator,
  "otp.delivery.status": deliveryStatusLabel(receipt.status),
});
