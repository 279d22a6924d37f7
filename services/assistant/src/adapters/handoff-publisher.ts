/**
 * HandoffRequested on the support topic (`<prefix>otp.support.v1`), keyed by the hand-off's id
 * (`hof_…`, also the envelope's verification id), so a hand-off and its follow-ups stay in order:
 * the phone sealed with the platform's key (associated data "<id>:phone"), masked in the clear
 * field; the transcript has codes and phone numbers removed already.
 */
import type { EventBus } from "@platform/bus/port";
import type { Sealer } from "@platform/crypto/sealer";
import { envelope } from "@platform/events/envelope";
import { maskPhone } from "@domain/privacy";
import type { HandoffPublisher } from "../ports";

export const SUPPORT_TOPIC = "otp.support.v1";
/** Partitions of the support topic when the assistant creates it (Kafka: kafka-topics.yaml). */
const SUPPORT_PARTITIONS = 6;

export function createHandoffPublisher(deps: {
  bus: EventBus;
  sealer: Sealer;
  topic: string;
  now: () => number;
}): HandoffPublisher & { ensureTopic(): Promise<void> } {
  return {
    ensureTopic: () => deps.bus.ensureTopics([{ name: deps.topic, partitions: SUPPORT_PARTITIONS }]),
    async publish(request) {
      const { id } = request;
      await deps.bus.publish(
        deps.topic,
        envelope(
          { verificationId: id, tenant: request.tenant, at: new Date(deps.now()) },
          {
            $case: "handoffRequested",
            value: {
              maskedPhone: maskPhone(request.phone),
              phone: deps.sealer.seal(request.phone, `${id}:phone`),
              locale: request.language,
              reason: request.reason,
              transcript: request.transcript,
            },
          },
        ),
      );
    },
  };
}
