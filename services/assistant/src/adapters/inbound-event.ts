/**
 * A user's text to a support number as it travels on the inbound topic
 * (`<prefix>otp.support.inbound.v1`): SupportMessageReceived, keyed by the keyed hash of the
 * sender so one sender's messages keep their order on one partition. Sender and text are
 * sealed (the text may hold a code), bound to the message id: "<message id>:sender",
 * "<message id>:text".
 */
import type { EventEnvelope } from "@proto/otp/events/v1/events";
import type { OutgoingMessage } from "@platform/bus/port";
import type { Sealer } from "@platform/crypto/sealer";
import { envelope, eventOf } from "@platform/events/envelope";
import type { IncomingText } from "../assistant";

export const INBOUND_TOPIC = "otp.support.inbound.v1";
/** Partitions of the inbound topic when the assistant creates it (Kafka: kafka-topics.yaml). */
export const INBOUND_PARTITIONS = 12;
/**
 * A reply is allowed only within 24 hours of the user's message: older intake is worth nothing,
 * and the topic holds what people wrote (sealed), so it is kept no longer.
 */
export const INBOUND_RETENTION_MS = 24 * 3_600_000;

const aad = (messageId: string, field: "sender" | "text") => `${messageId}:${field}`;

export interface InboundText extends IncomingText {
  tenant: string;
  /** When the user sent it, as WhatsApp reports. */
  receivedAt: Date;
}

export function inboundMessage(
  text: InboundText,
  deps: { topic: string; sealer: Sealer; senderKey: (e164: string) => string; now: () => number },
): OutgoingMessage {
  const e164 = `+${text.from.replace(/\D/g, "")}`;
  return {
    topic: deps.topic,
    key: deps.senderKey(e164),
    envelope: envelope(
      { verificationId: "", tenant: text.tenant, at: new Date(deps.now()) },
      {
        $case: "supportMessageReceived",
        value: {
          messageId: text.id,
          sender: deps.sealer.seal(e164, aad(text.id, "sender")),
          text: deps.sealer.seal(text.text, aad(text.id, "text")),
          phoneNumberId: text.phoneNumberId,
          receivedAt: text.receivedAt,
        },
      },
    ),
  };
}

/** The message in an envelope, opened; undefined for any other event. */
export function openInbound(env: EventEnvelope, sealer: Sealer): IncomingText | undefined {
  const event = eventOf(env, "supportMessageReceived");
  if (event?.sender === undefined || event.text === undefined) return undefined;
  const e164 = sealer.open(event.sender, aad(event.messageId, "sender"));
  return {
    id: event.messageId,
    from: e164.replace(/\D/g, ""),
    phoneNumberId: event.phoneNumberId,
    text: sealer.open(event.text, aad(event.messageId, "text")),
  };
}
