/**
 * What the assistant needs from the outside, as ports: its adapters (gRPC clients, the store,
 * the bus, the Cloud API) implement them; in the all-in-one, which runs issuance and routing
 * in the same process, the desk and the status are implemented on those services there
 * (services/all-in-one/src/assistant-ports.ts).
 */
import type { Conversation } from "./core/conversation";
import type {
  ChannelName,
  DistrictStatus,
  HandoffReason,
  IncidentSnapshot,
  Language,
  ResendOutcome,
  Understanding,
  VerificationSnapshot,
} from "./core/types";

/**
 * Understanding a message. The default runs offline in the process (`offline-model.ts`); a
 * language model provider can be plugged in here. The text it gets has codes and phone numbers
 * already removed, and its answer only picks among the fixed intents: every reply is still
 * one of the assistant's own, and the safety rules are applied before it is asked.
 */
export interface LanguageModelPort {
  readonly name: string;
  understand(text: string, context: { previousLanguage?: Language }): Promise<Understanding>;
}

/** The sender's own verification (the sender's WhatsApp number is the phone). */
export interface VerificationDesk {
  findActive(tenant: string, phone: string): Promise<VerificationSnapshot | undefined>;
  /**
   * ResendCode with all its limits; refusals come back as outcomes, not errors. Without a
   * channel, routing chooses.
   */
  resend(
    tenant: string,
    phone: string,
    verificationId: string,
    channel: ChannelName | undefined,
  ): Promise<ResendOutcome>;
}

export interface ChannelStatusPort {
  /** Channel health and active incidents of one district. */
  district(district: string): Promise<DistrictStatus>;
  /** Active incidents anywhere. */
  incidents(): Promise<IncidentSnapshot[]>;
}

export interface ReplySender {
  sendText(phoneNumberId: string, to: string, text: string): Promise<void>;
}

export interface HandoffRequest {
  /** `hof_…`: the event's id and key; a follow-up carries the first hand-off's. */
  id: string;
  tenant: string;
  /** E.164: sealed in the event, masked in its clear fields. */
  phone: string;
  language: Language;
  reason: HandoffReason;
  /** Codes and phone numbers already removed; a follow-up's only its own turn. */
  transcript: string[];
}

export interface HandoffPublisher {
  publish(request: HandoffRequest): Promise<void>;
}

/** Conversations by the sender's keyed phone hash. */
export interface ConversationStore {
  load(senderKey: string): Promise<Conversation>;
  save(senderKey: string, conversation: Conversation): Promise<void>;
}

export interface SenderLimits {
  /**
   * Whether a message was handled already: webhooks and the inbound topic deliver at least
   * once. Marked only once handled, so a message whose handling was cut short runs again.
   */
  handled(messageId: string): Promise<boolean>;
  markHandled(messageId: string): Promise<void>;
  /** Messages per minute; `noticeDue` once when the sender first goes over. */
  admitMessage(senderKey: string): Promise<{ allowed: boolean; noticeDue: boolean }>;
  /** Whether a resend may still be offered (or made) this hour. */
  offersLeft(senderKey: string): Promise<boolean>;
  spendOffer(senderKey: string): Promise<void>;
}
