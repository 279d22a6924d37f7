/**
 * WatchVerification: each replica follows the verifications topic in a group of its own
 * (latest offset, so every replica sees every new event) and tells the streams watching a
 * verification what changed, in words an app can show.
 */
import { randomUUID } from "node:crypto";
import type { EventEnvelope } from "@proto/otp/events/v1/events";
import { FallbackReason } from "@proto/otp/events/v1/events";
import { Channel, DeliveryStatus } from "@proto/otp/v1/common";
import type { EventBus, Subscription } from "@platform/bus/port";
import { evolve, type VerificationState } from "@domain/verification";
import type { TopicNames } from "@platform/bus/topics";
import type { VerificationProjection } from "@verification-state/projection";

export type WatchListener = (state: VerificationState, change: string, at: Date) => void;

export interface WatchHub {
  start(): Promise<Subscription>;
  watch(verificationId: string, listener: WatchListener): () => void;
}

const CHANNEL_NAME: Record<Channel, string> = {
  [Channel.CHANNEL_UNSPECIFIED]: "the best channel",
  [Channel.CHANNEL_WHATSAPP]: "WhatsApp",
  [Channel.CHANNEL_SMS]: "SMS",
  [Channel.CHANNEL_VOICE]: "a voice call",
  [Channel.CHANNEL_SILENT]: "the mobile network",
};

/** What an event means to the person waiting for a code; undefined when nothing they'd see changed. */
function describeChange(env: EventEnvelope): string | undefined {
  const e = env.event;
  if (!e) return undefined;
  switch (e.$case) {
    case "verificationStarted":
      return "verification started";
    case "dispatchRequested":
      if (e.value.channel === Channel.CHANNEL_SILENT) return "asking the mobile network";
      return `sending via ${CHANNEL_NAME[e.value.channel]}`;
    case "deliveryReported":
      if (e.value.status === DeliveryStatus.DELIVERY_STATUS_DELIVERED)
        return `delivered via ${CHANNEL_NAME[e.value.channel]}`;
      if (e.value.status === DeliveryStatus.DELIVERY_STATUS_FAILED)
        return `${CHANNEL_NAME[e.value.channel]} failed`;
      return undefined;
    case "fallbackTriggered":
      return e.value.reason === FallbackReason.FALLBACK_REASON_USER_REQUEST
        ? `switching to ${CHANNEL_NAME[e.value.toChannel]}`
        : `falling back to ${CHANNEL_NAME[e.value.toChannel]}`;
    case "resendRequested":
      return "code resent";
    case "codeChecked":
      return undefined;
    case "verificationLocked":
      return "too many wrong codes";
    case "verificationExpired":
      return "code expired";
    case "verificationCancelled":
      return "cancelled";
    case "verificationOverridden":
      return "verified by support";
    case "verificationFailed":
      return "every channel failed";
    case "networkVerificationReported":
      return e.value.verified
        ? "verified by the mobile network"
        : "the mobile network could not confirm the number";
    case "routePlanned":
    case "dispatchCancelled":
    case "incidentDeclared":
    case "incidentResolved":
    case "channelHealthChanged":
    case "handoffRequested":
    case "supportMessageReceived":
      return undefined;
    default:
      return undefined;
  }
}

export function createWatchHub(deps: {
  bus: EventBus;
  topics: TopicNames;
  projection: VerificationProjection;
}): WatchHub {
  const listeners = new Map<string, Set<WatchListener>>();

  const onEvent = async (env: EventEnvelope): Promise<void> => {
    const watchers = listeners.get(env.verificationId);
    if (!watchers || watchers.size === 0) return;
    const stored = await deps.projection.read(env.verificationId);
    if (!stored) return;
    // The projector may not have applied this event yet; evolve is idempotent.
    const state = evolve(stored, env);
    const change =
      env.event?.$case === "codeChecked" && state.status === "verified" ? "verified" : describeChange(env);
    if (!change) return;
    for (const listener of watchers) listener(state, change, env.occurredAt ?? new Date());
  };

  return {
    start: () =>
      deps.bus.subscribe({
        groupId: `issuance-watch-${randomUUID()}`,
        topics: [deps.topics.verifications],
        fromBeginning: false,
        // Messages are keyed by verification id: only watched ones are decoded.
        accepts: ({ key }) => listeners.has(key),
        handler: (m) => onEvent(m.envelope),
      }),
    watch(verificationId, listener) {
      const set = listeners.get(verificationId) ?? new Set();
      set.add(listener);
      listeners.set(verificationId, set);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(verificationId);
      };
    },
  };
}
