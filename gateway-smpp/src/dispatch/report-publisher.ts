/** Publishes DeliveryReported for an attempt on the verifications topic, keyed by verification id. */
import { Channel } from "@proto/otp/v1/common";
import type { EventBus } from "@platform/bus/port";
import { envelope } from "@platform/events/envelope";
import type { AttemptRef } from "./attempt-ref";
import type { ReportOutcome } from "./outcomes";

export type ReportPublisher = (ref: AttemptRef, outcome: ReportOutcome) => Promise<void>;

export function createReportPublisher(bus: EventBus, topic: string, now: () => number): ReportPublisher {
  return async (ref, outcome) => {
    const report = envelope(
      {
        verificationId: ref.verificationId,
        tenant: ref.tenant,
        at: new Date(now()),
        causationId: ref.causationId,
      },
      {
        $case: "deliveryReported",
        value: {
          attempt: ref.attempt,
          channel: Channel.CHANNEL_SMS,
          route: ref.route,
          status: outcome.status,
          failureClass: outcome.failureClass,
          reason: outcome.reason,
          providerMessageId: outcome.providerMessageId,
          district: ref.district,
          operator: ref.operator,
          providerTime: new Date(outcome.providerTimeMs),
          providerSubmitDate: outcome.providerSubmitDate ?? "",
          providerDoneDate: outcome.providerDoneDate ?? "",
        },
      },
    );
    await bus.publish(topic, report);
  };
}
