/**
 * CallRegistry on the Store (Redis, or the in-process store of the all-in-one mode), shared by
 * every replica: a callback, a cancellation or a redelivered dispatch may reach any of them.
 *   claim      `<prefix>voice-claim:<verification>:<attempt>` SET NX PX
 *   calls      `<prefix>voice-calls:{<verification>}` hash, forward-only (trackCall script)
 *   cancelled  `<prefix>voice-cancel:<verification>[:<attempt>]`
 * Nothing here is a code or a phone number.
 */
import { CALL_STATUSES, type CallStatus } from "./voice-provider";
import type { Store } from "@platform/store/port";
import { STATUS_RANK, type CallRegistry, type TrackedCall } from "./call-registry";
import { listCalls, trackCall } from "./call-scripts";

export function createStoreCallRegistry(store: Store): CallRegistry {
  const cancelKey = (verificationId: string, attempt?: number) =>
    store.key(`voice-cancel:${verificationId}${attempt === undefined ? "" : `:${attempt}`}`);

  return {
    claimAttempt: (verificationId, attempt, ttlMs) =>
      store.set(store.key(`voice-claim:${verificationId}:${attempt}`), "1", {
        onlyIfAbsent: true,
        ttlMs: wholeMs(ttlMs),
      }),

    track: (verificationId, call, ttlMs) =>
      store.run(trackCall, {
        verificationId,
        callId: call.callId,
        attempt: call.attempt,
        status: call.status,
        rank: STATUS_RANK[call.status],
        ttlMs: wholeMs(ttlMs),
      }),

    async callsOf(verificationId) {
      const stored = await store.run(listCalls, { verificationId });
      // A status this version does not know (written by a newer one) is left out.
      return stored.flatMap((call): TrackedCall[] =>
        isCallStatus(call.status)
          ? [{ callId: call.callId, attempt: call.attempt, status: call.status }]
          : [],
      );
    },

    async markCancelled(verificationId, ttlMs, attempt) {
      await store.set(cancelKey(verificationId, attempt), "1", { ttlMs: wholeMs(ttlMs) });
    },

    async isCancelled(verificationId, attempt) {
      if ((await store.get(cancelKey(verificationId))) !== null) return true;
      return attempt !== undefined && (await store.get(cancelKey(verificationId, attempt))) !== null;
    },
  };
}

const isCallStatus = (status: string): status is CallStatus =>
  (CALL_STATUSES as readonly string[]).includes(status);

/** The store wants a positive whole number of milliseconds. */
const wholeMs = (ms: number): number => Math.max(1, Math.ceil(ms));
