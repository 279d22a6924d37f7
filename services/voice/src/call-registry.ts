/**
 * What the voice connector remembers between a dispatch and later events, as ports with
 * in-memory versions (one process, tests); store-call-registry.ts and store-pending-readings.ts
 * share them between replicas through the Store.
 *   CallRegistry: idempotency on (verification, attempt), the calls placed per verification and
 *     their latest status (so a verified verification can cancel them), cancelled verifications
 *     or attempts.
 *   PendingReadings: the code waiting behind a "press 1" prompt, per call, until it is read,
 *     the call ends or the code expires. The shared version stores it sealed (it is a code).
 */
import type { CallStatus } from "./voice-provider";

export interface TrackedCall {
  callId: string;
  attempt: number;
  status: CallStatus;
}

export interface CallRegistry {
  claimAttempt(verificationId: string, attempt: number, ttlMs: number): Promise<boolean>;
  /**
   * Records a call or a newer status of it ("moved"). The status already recorded gives
   * "repeated"; an older one, or another after a final one, is ignored: "stale".
   */
  track(verificationId: string, call: TrackedCall, ttlMs: number): Promise<TrackOutcome>;
  callsOf(verificationId: string): Promise<TrackedCall[]>;
  /** The whole verification, or one attempt of it, is not to be called any more. */
  markCancelled(verificationId: string, ttlMs: number, attempt?: number): Promise<void>;
  /** Whether the verification, or (with `attempt`) that attempt of it, was cancelled. */
  isCancelled(verificationId: string, attempt?: number): Promise<boolean>;
}

export type TrackOutcome = "moved" | "repeated" | "stale";

export interface PendingReading {
  verificationId: string;
  code: string;
  locale: string;
}

export interface PendingReadings {
  put(callId: string, reading: PendingReading, ttlMs: number): Promise<void>;
  /** The reading, removed: a code behind the prompt is read out once. */
  take(callId: string): Promise<PendingReading | undefined>;
  drop(callId: string): Promise<void>;
}

export const STATUS_RANK: Readonly<Record<CallStatus, number>> = {
  queued: 0,
  initiated: 1,
  ringing: 2,
  "in-progress": 3,
  completed: 4,
  busy: 4,
  "no-answer": 4,
  failed: 4,
  canceled: 4,
};

/** Later in a call's life; final statuses never go back. */
const isNewerStatus = (next: CallStatus, current: CallStatus): boolean =>
  STATUS_RANK[next] > STATUS_RANK[current];

/** A map whose entries expire; the oldest go first beyond `maxEntries`. */
class ExpiringMap<T> {
  private readonly entries = new Map<string, { value: T; expiresAt: number }>();
  constructor(
    private readonly now: () => number,
    private readonly maxEntries: number,
  ) {}

  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > this.now()) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: T, ttlMs: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
    for (const [oldest] of this.entries) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }

  /** Milliseconds left, 0 when absent or expired. */
  remainingMs(key: string): number {
    const entry = this.entries.get(key);
    return entry === undefined ? 0 : Math.max(0, entry.expiresAt - this.now());
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}

const cancelKey = (verificationId: string, attempt?: number): string =>
  attempt === undefined ? verificationId : `${verificationId}:${attempt}`;

export function createMemoryCallRegistry(
  options: { now?: () => number; maxEntries?: number } = {},
): CallRegistry {
  const now = options.now ?? Date.now;
  const max = options.maxEntries ?? 100_000;
  const claims = new ExpiringMap<true>(now, max);
  const calls = new ExpiringMap<TrackedCall[]>(now, max);
  const cancelled = new ExpiringMap<true>(now, max);
  return {
    async claimAttempt(verificationId, attempt, ttlMs) {
      const key = `${verificationId}:${attempt}`;
      if (claims.get(key)) return false;
      claims.set(key, true, ttlMs);
      return true;
    },
    async track(verificationId, call, ttlMs) {
      const list = calls.get(verificationId) ?? [];
      const known = list.find((c) => c.callId === call.callId);
      if (known && known.status === call.status && known.attempt === call.attempt) return "repeated";
      if (known && !isNewerStatus(call.status, known.status)) return "stale";
      const next = [...list.filter((c) => c.callId !== call.callId), { ...call }];
      calls.set(verificationId, next, Math.max(ttlMs, calls.remainingMs(verificationId)));
      return "moved";
    },
    async callsOf(verificationId) {
      return (calls.get(verificationId) ?? []).map((c) => ({ ...c }));
    },
    async markCancelled(verificationId, ttlMs, attempt) {
      cancelled.set(cancelKey(verificationId, attempt), true, ttlMs);
    },
    async isCancelled(verificationId, attempt) {
      if (cancelled.get(cancelKey(verificationId)) === true) return true;
      return attempt !== undefined && cancelled.get(cancelKey(verificationId, attempt)) === true;
    },
  };
}

export function createMemoryPendingReadings(
  options: { now?: () => number; maxEntries?: number } = {},
): PendingReadings {
  const readings = new ExpiringMap<PendingReading>(options.now ?? Date.now, options.maxEntries ?? 100_000);
  return {
    async put(callId, reading, ttlMs) {
      readings.set(callId, reading, ttlMs);
    },
    async take(callId) {
      const reading = readings.get(callId);
      readings.delete(callId);
      return reading;
    },
    async drop(callId) {
      readings.delete(callId);
    },
  };
}
