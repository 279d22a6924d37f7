/**
 * The webhook's side of the assistant: each text message to a business number that serves a
 * tenant is written to the inbound topic (sealed; on Kafka acknowledged by all in-sync
 * replicas) before the webhook answers 200. A failed write rejects, so the webhook answers 500
 * and WhatsApp delivers the batch again; the consumer skips what it handled already. Nothing is
 * handled here: a crash after the 200 loses nothing.
 */
import type { EventBus } from "@platform/bus/port";
import type { Sealer } from "@platform/crypto/sealer";
import type { Logger } from "@platform/log";
import type { InboundMessage } from "@platform/http/whatsapp-cloud/webhook-payload";
import { inboundMessage } from "./inbound-event";
import { textMessages } from "./whatsapp-inbound";

export interface SupportIntakeDeps {
  bus: EventBus;
  sealer: Sealer;
  topic: string;
  tenantFor: (phoneNumberId: string) => string | undefined;
  senderKey: (e164: string) => string;
  logger: Logger;
  now: () => number;
}

export function createSupportIntake(deps: SupportIntakeDeps): (messages: InboundMessage[]) => Promise<void> {
  return async (messages) => {
    const outgoing = textMessages(messages).flatMap((text) => {
      const tenant = deps.tenantFor(text.phoneNumberId);
      if (tenant === undefined) {
        deps.logger.warn("message to a business number with no tenant", {
          phoneNumberId: text.phoneNumberId,
        });
        return [];
      }
      return [inboundMessage({ ...text, tenant }, deps)];
    });
    if (outgoing.length > 0) await deps.bus.publishBatch(outgoing);
  };
}
