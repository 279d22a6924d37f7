/**
 * What a virtual user's phone shows. WhatsApp messages and voice calls reach the simulators'
 * inboxes only when they reach the handset; the SMSC simulator records a message at submit, so
 * an SMS counts as on the phone once its delivery receipt says DELIVRD (the receipt's delay is
 * the network's delay, an expired receipt a lost message).
 */
import { Channel, DeliveryStatus } from "@proto/otp/v1/common";
import { inboxOf } from "@services/all-in-one/src/inbox-server";
import type { Simulators } from "@services/all-in-one/src/simulators";
import type { EventBus, Subscription } from "@platform/bus/port";
import { eventOf } from "@platform/events/envelope";

export interface SeenCode {
  code: string;
  channel: "sms" | "whatsapp" | "voice";
}

export interface Handsets {
  /** The newest code the phone shows for these verifications, if any. */
  latestCode(phone: string, verificationIds: ReadonlySet<string>): SeenCode | undefined;
  stop(): Promise<void>;
}

/** Voice reads the digits one by one ("1, 2, 3 …"): the first run of `length` digits. */
function codeFromText(text: string, channel: SeenCode["channel"]): string | undefined {
  if (channel !== "voice") return /\b(\d{4,10})\b/.exec(text)?.[1];
  const spoken = /(\d[^\d]{0,3}){6}/.exec(text)?.[0];
  return spoken?.replace(/\D/g, "");
}

export async function watchHandsets(
  sims: Simulators,
  bus: EventBus,
  topic: string,
  groupId: string,
): Promise<Handsets> {
  const smsDelivered = new Set<string>();
  const subscription: Subscription = await bus.subscribe({
    groupId,
    topics: [topic],
    fromBeginning: false,
    handler: async (message) => {
      const receipt = eventOf(message.envelope, "deliveryReported");
      if (
        receipt?.channel === Channel.CHANNEL_SMS &&
        (receipt.status === DeliveryStatus.DELIVERY_STATUS_DELIVERED ||
          receipt.status === DeliveryStatus.DELIVERY_STATUS_READ)
      ) {
        smsDelivered.add(message.envelope.verificationId);
      }
    },
  });
  await subscription.ready;
  return {
    latestCode(phone, verificationIds) {
      const smsArrived = [...verificationIds].some((id) => smsDelivered.has(id));
      for (const m of inboxOf(sims, phone)) {
        if ((m.channel === "sms" && !smsArrived) || m.channel === "silent") continue;
        const code = codeFromText(m.text, m.channel);
        if (code !== undefined) return { code, channel: m.channel };
      }
      return undefined;
    },
    stop: () => subscription.stop(),
  };
}
