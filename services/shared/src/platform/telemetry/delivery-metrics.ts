/**
 * Sends, deliveries and failures of a channel connector, read from what it puts on the wire:
 * the bus it is given is wrapped so that every DeliveryReported it publishes is counted by
 * channel × district × route × operator. A "send" is the report a dispatch handler publishes
 * for its own attempt with status ACCEPTED (the provider took it); ACCEPTED reports that come
 * later through webhooks (a voice call's "initiated") are not sends again.
 */
import { eventOf } from "../events/envelope";
import { DeliveryStatus, type Channel } from "@proto/otp/v1/common";
import type { EventEnvelope } from "@proto/otp/events/v1/events";
import type { BusMessage, EventBus, OutgoingMessage } from "../bus/port";
import { channelLabel, failureClassLabel, orNone } from "./labels";
import type { OtpMetrics } from "./metrics";

type DeliveryMetrics = Pick<OtpMetrics, "sends" | "deliveries" | "deliveryFailures">;

export function meterDeliveries(
  bus: EventBus,
  metrics: DeliveryMetrics | undefined,
  channel: Channel,
): EventBus {
  if (metrics === undefined) return bus;
  /** Attempts whose DispatchRequested this process is handling right now. */
  const dispatching = new Set<string>();

  const observe = (env: EventEnvelope): void => {
    const report = eventOf(env, "deliveryReported");
    if (report === undefined) return;
    const labels = {
      channel: channelLabel(report.channel),
      district: orNone(report.district),
      route: orNone(report.route),
      operator: orNone(report.operator),
    };
    const { status } = report;
    if (status === DeliveryStatus.DELIVERY_STATUS_ACCEPTED) {
      if (dispatching.has(`${env.verificationId}#${report.attempt}`)) metrics.sends.inc(labels);
    } else if (status === DeliveryStatus.DELIVERY_STATUS_DELIVERED) {
      metrics.deliveries.inc(labels);
    } else if (
      status === DeliveryStatus.DELIVERY_STATUS_FAILED ||
      status === DeliveryStatus.DELIVERY_STATUS_EXPIRED
    ) {
      metrics.deliveryFailures.inc({
        ...labels,
        failure_class: failureClassLabel(report.failureClass),
        reason: orNone(report.reason),
      });
    }
  };
  const observeAll = (messages: OutgoingMessage[]): void => messages.forEach((m) => observe(m.envelope));

  return {
    ...bus,
    async publish(topic, envelope, options) {
      await bus.publish(topic, envelope, options);
      observe(envelope);
    },
    async publishBatch(messages) {
      await bus.publishBatch(messages);
      observeAll(messages);
    },
    subscribe: (options) => {
      const { handler, batchHandler } = options;
      return bus.subscribe({
        ...options,
        handler: (message) => whileDispatching([message], () => handler(message)),
        // A run's dispatches are all in hand until the run is done.
        batchHandler:
          batchHandler && ((messages) => whileDispatching(messages, () => batchHandler(messages))),
      });
    },
  };

  async function whileDispatching(messages: BusMessage[], handle: () => Promise<void>): Promise<void> {
    const keys = messages.flatMap(({ envelope }) => {
      const dispatch = eventOf(envelope, "dispatchRequested");
      return dispatch === undefined || dispatch.channel !== channel
        ? []
        : [`${envelope.verificationId}#${dispatch.attempt}`];
    });
    for (const key of keys) dispatching.add(key);
    try {
      await handle();
    } finally {
      for (const key of keys) dispatching.delete(key);
    }
  }
}
