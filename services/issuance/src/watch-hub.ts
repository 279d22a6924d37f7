/**
 * WatchVerification: each replica follows the verifications topic in a group of its own
 * (latest offset, so every replica sees every new event) while anyone watches on it, and tells
 * the streams watching a verification what changed, in words an app can show.
 */
import { randomUUID } from "node:crypto";
import type { EventEnvelope } from "@proto/otp/events/v1/events";
import { FallbackReason } from "@proto/otp/events/v1/events";
import { Channel, DeliveryStatus } from "@proto/otp/v1/common";
import type { EventBus, Subscription } from "@platform/bus/port";
import { evolve, isFinal, type VerificationState } from "@domain/verification";
import type { TopicNames } from "@platform/bus/topics";
import type { VerificationProjection } from "@verification-state/projection";
import type { Logger } from "@platform/log";

export type WatchListener = (state: VerificationState, change: string, at: Date) => void;

export interface WatchHub {
  /** Tells `listener` what changes for the verification until the watch is closed. */
  watch(verificationId: string, listener: WatchListener): Watch;
  /** Whether the hub follows the topic now. */
  following(): boolean;
  stop(): Promise<void>;
}

const CHANNEL_NAME: Record<Channel, string> = {
  [Channel.CHANNEL_UNSPECIFIED]: "the best channel",
  [Channel.CHANNEL_WHATSAPP]: "WhatsApp",
  [Channel.CHANNEL_SMS]: "SMS",
  [Channel.CHANNEL_VOICE]: "a voice call",
  [Channel.CHANNEL_SILENT]: "the mobile network",
};

/** The words a watcher is told, from an event (describeChange) or from a state (describeState). */
const SAY = {
  started: "verification started",
  sending: (channel: Channel): string =>
    channel === Channel.CHANNEL_SILENT ? "asking the mobile network" : `sending via ${CHANNEL_NAME[channel]}`,
  /** A delivery's outcome; undefined for a step on the way (queued, accepted, sent). */
  delivery: (channel: Channel, status: DeliveryStatus): string | undefined =>
    status === DeliveryStatus.DELIVERY_STATUS_DELIVERED
      ? `delivered via ${CHANNEL_NAME[channel]}`
      : status === DeliveryStatus.DELIVERY_STATUS_FAILED
        ? `${CHANNEL_NAME[channel]} failed`
        : undefined,
  verified: "verified",
  verifiedByNetwork: "verified by the mobile network",
  verifiedBySupport: "verified by support",
  locked: "too many wrong codes",
  expired: "code expired",
  cancelled: "cancelled",
  failed: "every channel failed",
} as const;

/** What an event means to the person waiting for a code; undefined when nothing they'd see changed. */
function describeChange(env: EventEnvelope): string | undefined {
  const e = env.event;
  if (!e) return undefined;
  switch (e.$case) {
    case "verificationStarted":
      return SAY.started;
    case "dispatchRequested":
      return SAY.sending(e.value.channel);
    case "deliveryReported":
      return SAY.delivery(e.value.channel, e.value.status);
    case "fallbackTriggered":
      return e.value.reason === FallbackReason.FALLBACK_REASON_USER_REQUEST
        ? `switching to ${CHANNEL_NAME[e.value.toChannel]}`
        : `falling back to ${CHANNEL_NAME[e.value.toChannel]}`;
    case "resendRequested":
      return "code resent";
    case "codeChecked":
      return undefined;
    case "verificationLocked":
      return SAY.locked;
    case "verificationExpired":
      return SAY.expired;
    case "verificationCancelled":
      return SAY.cancelled;
    case "verificationOverridden":
      return SAY.verifiedBySupport;
    case "verificationFailed":
      return SAY.failed;
    case "networkVerificationReported":
      return e.value.verified ? SAY.verifiedByNetwork : "the mobile network could not confirm the number";
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

export interface WatchHubOptions {
  bus: EventBus;
  topics: TopicNames;
  projection: VerificationProjection;
  logger: Logger;
  /** How long the topic is still followed after the last watcher left. */
  idleMs?: number;
  /** The pause before following again after a start failed (the bus away). */
  retryMs?: number;
}

/** One watcher's registration. */
export interface Watch {
  /**
   * Resolves once the hub follows the topic for this watcher: true when it had to start
   * following for it, so events between the watcher's first read and now may have gone by
   * (the caller reads the state again), false when it was following already.
   */
  caughtUp: Promise<boolean>;
  close(): void;
}

/** Following the topic: the subscription and whether it has joined its group. */
interface Following {
  subscription: Promise<Subscription>;
  ready: Promise<void>;
}

const IDLE_MS = 60_000;
const RETRY_MS = 1_000;

/**
 * Each replica follows the topic only while someone watches on it: a consumer that read every
 * event of every verification to find none watched cost about a tenth of issuance's CPU per
 * verification (docs/performance.md). It starts with the first watcher, in a transient group of its own (new events
 * only), and stops a minute after the last one left.
 */
export function createWatchHub(deps: WatchHubOptions): WatchHub {
  const listeners = new Map<string, Set<WatchListener>>();
  let following: Following | undefined;
  let idle: NodeJS.Timeout | undefined;
  let retry: NodeJS.Timeout | undefined;
  let stopped = false;

  const onEvent = async (env: EventEnvelope): Promise<void> => {
    const watchers = listeners.get(env.verificationId);
    if (!watchers || watchers.size === 0) return;
    const stored = await deps.projection.read(env.verificationId);
    if (!stored) return;
    // The projector may not have applied this event yet; evolve is idempotent.
    const state = evolve(stored, env);
    const change =
      env.event?.$case === "codeChecked" && state.status === "verified" ? SAY.verified : describeChange(env);
    if (!change) return;
    for (const listener of watchers) listener(state, change, env.occurredAt ?? new Date());
  };

  const follow = (): Following => {
    const subscription = deps.bus.subscribe({
      groupId: `issuance-watch-${randomUUID()}`,
      topics: [deps.topics.verifications],
      fromBeginning: false,
      transient: true,
      // Messages are keyed by verification id: only watched ones are decoded.
      accepts: ({ key }) => listeners.has(key),
      handler: (m) => onEvent(m.envelope),
    });
    const ready = subscription.then((s) => s.ready);
    const current: Following = { subscription, ready };
    ready.catch((err: unknown) => {
      deps.logger.warn("watch streams cannot follow the event log; trying again", {
        error: err instanceof Error ? err.message : String(err),
      });
      if (following !== current) return;
      following = undefined;
      void subscription.then((s) => s.stop()).catch(() => undefined);
      clearTimeout(retry);
      retry = setTimeout(() => {
        if (!stopped && listeners.size > 0 && !following) following = follow();
      }, deps.retryMs ?? RETRY_MS).unref();
    });
    return current;
  };

  const unfollow = async (): Promise<void> => {
    const current = following;
    following = undefined;
    await current?.subscription.then((s) => s.stop()).catch(() => undefined);
  };

  const stopWhenIdle = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      if (listeners.size === 0) void unfollow();
    }, deps.idleMs ?? IDLE_MS).unref();
  };

  return {
    watch(verificationId, listener) {
      clearTimeout(idle);
      const started = !following && !stopped;
      if (started) following = follow();
      const set = listeners.get(verificationId) ?? new Set();
      set.add(listener);
      listeners.set(verificationId, set);
      // A failed start is retried in the background; this watcher is told it was a start.
      const caughtUp = (following?.ready ?? Promise.resolve()).then(
        () => started,
        () => true,
      );
      return {
        caughtUp,
        close() {
          set.delete(listener);
          if (set.size === 0 && listeners.get(verificationId) === set) listeners.delete(verificationId);
          if (listeners.size === 0) stopWhenIdle();
        },
      };
    },
    following: () => following !== undefined,
    async stop() {
      stopped = true;
      clearTimeout(idle);
      clearTimeout(retry);
      await unfollow();
    },
  };
}

/** The reads after the hub began following for a stream: at once, and once the projector caught up. */
const CATCH_UP_READS_MS = [0, 1_000];

/**
 * When the hub began following the log for a stream, the events between the stream's first read
 * and the hub joining its group went by unseen. The state is read again (at once, and a second
 * later in case the projector lagged), and each change is told in the words its event would have
 * had, until an event reaches the stream (it carries a newer state anyway) or the state is final.
 */
export async function catchUpAfterStart(
  watch: Watch,
  heard: () => boolean,
  first: VerificationState,
  read: () => Promise<VerificationState>,
  deliver: (state: VerificationState, change: string) => void,
  delaysMs: readonly number[] = CATCH_UP_READS_MS,
): Promise<void> {
  if (!(await watch.caughtUp)) return;
  let seen = progressOf(first);
  for (const delay of delaysMs) {
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (heard()) return;
    const again = await read().catch(() => undefined);
    if (!again || heard() || progressOf(again) === seen) continue;
    seen = progressOf(again);
    deliver(again, describeState(again));
    if (isFinal(again)) return;
  }
}

/** What a watcher would see change: the events applied, the status, the checks used. */
const progressOf = (s: VerificationState): string =>
  `${s.status}|${s.checksUsed}|${s.appliedEventIds.length}|${s.appliedEventIds.at(-1) ?? ""}`;

const FINAL_WORDS: Partial<Record<VerificationState["status"], string>> = {
  expired: SAY.expired,
  cancelled: SAY.cancelled,
  locked: SAY.locked,
  failed: SAY.failed,
};

/** A state's news in the words of the event that most likely brought it (describeChange). */
export function describeState(state: VerificationState): string {
  if (state.status === "verified") {
    if (state.verifiedBy === "network") return SAY.verifiedByNetwork;
    return state.verifiedBy === "override" ? SAY.verifiedBySupport : SAY.verified;
  }
  const final = FINAL_WORDS[state.status];
  if (final) return final;
  const last = state.attempts.at(-1);
  if (!last) return SAY.started;
  return SAY.delivery(last.channel, last.status) ?? SAY.sending(last.channel);
}
