/**
 * Who may write which event: every event type has exactly one owner, the service that decides
 * it, and consumers accept an event only when its MAC proves the owner wrote it (ADR 0010).
 * Receipts belong to the connector of their channel, so a compromised WhatsApp connector can
 * neither forge an SMS receipt nor a check outcome. Pure: no keys here, only names.
 */
import type { EventEnvelope } from "@proto/otp/events/v1/events";
import { Channel } from "@proto/otp/v1/common";
import type { EventCase } from "./event-case";

/** The services that write events; also their names in OTP_EVENT_KEYS and the `otp-producer` header. */
export const PRODUCERS = [
  "issuance",
  "verification",
  "routing",
  "gateway-smpp",
  "whatsapp-connector",
  "voice-connector",
  "silent-connector",
  "assistant",
] as const;
export type Producer = (typeof PRODUCERS)[number];

export const isProducer = (name: string): name is Producer => (PRODUCERS as readonly string[]).includes(name);

/** The owner of each event type; `connector` is resolved by the receipt's channel. */
const OWNER_OF_TYPE: Record<EventCase, Producer | "connector"> = {
  verificationStarted: "issuance",
  resendRequested: "issuance",
  verificationCancelled: "issuance",
  codeChecked: "verification",
  verificationLocked: "verification",
  verificationOverridden: "verification",
  routePlanned: "routing",
  dispatchRequested: "routing",
  dispatchCancelled: "routing",
  fallbackTriggered: "routing",
  verificationExpired: "routing",
  verificationFailed: "routing",
  incidentDeclared: "routing",
  incidentResolved: "routing",
  channelHealthChanged: "routing",
  deliveryReported: "connector",
  networkVerificationReported: "silent-connector",
  handoffRequested: "assistant",
  supportMessageReceived: "assistant",
};

const CONNECTOR_OF_CHANNEL: Partial<Record<Channel, Producer>> = {
  [Channel.CHANNEL_SMS]: "gateway-smpp",
  [Channel.CHANNEL_WHATSAPP]: "whatsapp-connector",
  [Channel.CHANNEL_VOICE]: "voice-connector",
};

/**
 * The one service allowed to write this envelope; undefined for an envelope without an event
 * this code knows (a newer type, skipped by its readers) or a receipt of no known channel.
 */
export function ownerOf(envelope: EventEnvelope): Producer | undefined {
  const event = envelope.event;
  if (event === undefined) return undefined;
  const owner = OWNER_OF_TYPE[event.$case];
  if (owner !== "connector") return owner;
  return event.$case === "deliveryReported" ? CONNECTOR_OF_CHANNEL[event.value.channel] : undefined;
}

/**
 * What a process signs as and whose events it reads: it must hold the keys of both (a reader
 * needs each producer's key to check its MACs). One entry per deployable service, from the
 * events its consumers accept; the all-in-one process is every service at once.
 */
export interface EventRole {
  signs: readonly Producer[];
  reads: readonly Producer[];
}

/** The connectors whose events issuance's watch streams, the projector and routing read. */
const CONNECTORS: readonly Producer[] = [
  "gateway-smpp",
  "whatsapp-connector",
  "voice-connector",
  "silent-connector",
];

export const EVENT_ROLES = {
  /** Watch streams follow every lifecycle event. */
  issuance: { signs: ["issuance"], reads: ["issuance", "verification", "routing", ...CONNECTORS] },
  /** The projector folds every lifecycle event. */
  verification: { signs: ["verification"], reads: ["issuance", "verification", "routing", ...CONNECTORS] },
  /** Starts, resends, cancels; receipts; check outcomes. */
  routing: { signs: ["routing"], reads: ["issuance", "verification", "routing", ...CONNECTORS] },
  /** Dispatch commands only. */
  "gateway-smpp": { signs: ["gateway-smpp"], reads: ["routing"] },
  "whatsapp-connector": { signs: ["whatsapp-connector"], reads: ["routing"] },
  /** Dispatches, and the outcomes that hang up a call in progress (a network verification too). */
  "voice-connector": {
    signs: ["voice-connector"],
    reads: ["routing", "issuance", "verification", "silent-connector"],
  },
  /** The operator's answers it reports; it consumes no events. */
  "silent-connector": { signs: ["silent-connector"], reads: [] },
  /** Its own inbound support messages. */
  assistant: { signs: ["assistant"], reads: ["assistant"] },
  "all-in-one": { signs: PRODUCERS, reads: PRODUCERS },
} as const satisfies Record<string, EventRole>;
