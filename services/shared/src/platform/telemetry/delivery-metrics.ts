/**
 * Sends, deliveries and failures of a channel connector, read from what it puts on the wire:
 * the bus it is given is wrapped so that every DeliveryReported it publishes is counted by
 * channel × district × route × operator. A "send" is the report a dispatch handler publishes
 * for its own attempt with status ACCEPTED (the provider took it); ACCEPTED reports that come
 * later through webhooks (a voice call's "initiated") are not sends again.
 *
 * The connectors (gateway-smpp, WhatsApp, voice) share these metrics: the first one wired in a
 * process declares them on its registry.
 */
import { Counter, type Registry } from "prom-client";
import { eventOf } from "../events/envelope";
import { DeliveryStatus, type Channel } from "@proto/otp/v1/common";
import type { EventEnvelope } from "@proto/otp/events/v1/events";
import type { BusMessage, EventBus } from "../bus/port";
import { channelLabel, DELIVERY_LABELS, failureClassLabel, orNone } from "./labels";
import type { OtpMetrics } from "./metrics";

function deliveryMetrics(registers: Registry[]) {
  return {
    sends: new Counter({
      name: "otp_sends_total",
      help: "Dispatches a provider accepted (SMSC submit_sm_resp OK, WhatsApp / voice API answer)",
      labelNames: DELIVERY_LABELS,
      registers,
    }),
    deliveries: new Counter({
      name: "otp_deliveries_total",
      help: "Attempts confirmed on the handset (DLR DELIVRD, WhatsApp delivered, call answered)",
      labelNames: DELIVERY_LABELS,
      registers,
    }),
    deliveryFailures: new Counter({
      name: "otp_delivery_failures_total",
      help: "Attempts reported FAILED or EXPIRED, by failure class and stable reason code",
      labelNames: [...DELIVERY_LABELS, "failure_class", "reason"] as const,
      registers,
    }),
  };
}

type DeliveryMetrics = ReturnType<typeof deliveryMetrics>;

export function meterDeliveries(
  bus: EventBus,
  processMetrics: OtpMetrics | undefined,
  channel: Channel,
): EventBus {
  if (processMetrics === undefined) return bus;
  const metrics = processMetrics.declare(deliveryMetrics);
  /** Attempts whose DispatchRequested this process is handling right now. */
  const dispatching = new Set<string>();
  const observe = (env: EventEnvelope): void => recordReport(metrics, env, dispatching);
  const whileDispatching = async (messages: BusMessage[], handle: () => Promise<void>): Promise<void> => {
    const keys = dispatchesOf(messages, channel);
    for (const key of keys) dispatching.add(key);
    try {
      await handle();
    } finally {
      for (const key of keys) dispatching.delete(key);
    }
  };

  return {
    ...bus,
    async publish(topic, envelope, options) {
      await bus.publish(topic, envelope, options);
      observe(envelope);
    },
    async publishBatch(messages) {
      await bus.publishBatch(messages);
      messages.forEach((m) => observe(m.envelope));
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
}

/** Counts a DeliveryReported; an ACCEPTED one is a send only for a dispatch in hand. */
function recordReport(metrics: DeliveryMetrics, env: EventEnvelope, dispatching: ReadonlySet<string>): void {
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
}

/** "<verification>#<attempt>" of each DispatchRequested for the channel among the messages. */
function dispatchesOf(messages: BusMessage[], channel: Channel): string[] {
  return messages.flatMap(({ envelope }) => {
    const dispatch = eventOf(envelope, "dispatchRequested");
    return dispatch === undefined || dispatch.channel !== channel
      ? []
      : [`${envelope.verificationId}#${dispatch.attempt}`];
  });
}
