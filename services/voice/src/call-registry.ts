/**
 * What the voice connector remembers between a dispatch and later events, as ports with
 * in-memory versions (one process, tests); Redis versions share them between replicas.
 *   CallRegistry: idempotency on (verification, attempt), the calls placed per verification and
 *     their latest status (so a verified verification can cancel them), cancelled verifications.
 *   PendingReadings: the code waiting behind a "press 1" prompt, per call, until the call ends
 *     or the code expires. A shared version must store it encrypted (it is a code).
 */
import type { CallStatus } from "./voice-provider";

export interface TrackedCall {
  callId: string;
  attempt: number;
  status: CallStatus;
}

export interface CallRegistry {
  claimAttempt(verificationId: string, attempt: number, ttlMs: number): Promise<boolean>;
  /** Records a call or a newer status of it; an older status arriving late is ignored. */
  track(verificationId: string, call: TrackedCall, ttlMs: number): Promise<void>;
  callsOf(verificationId: string): Promise<TrackedCall[]>;
  markCancelled(verificationId: string, ttlMs: number): Promise<void>;
  isCancelled(verificationId: string): Promise<boolean>;
}

export interface PendingReading {
  code: string;
  locale: string;
}

export interface PendingReadings {
  put(callId: string, reading: PendingReading, ttlMs: number): Promise<void>;
  get(callId: string): Promise<PendingReading | undefined>;
  drop(callId: string): Promise<void>;
}

const RANK: Record<CallStatus, number> = {
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
export const isNewerStatus = (next: CallStatus, current: CallStatus): boolean => RANK[next] > RANK[current];

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

  delete(key: string): void {
    this.entries.delete(key);
  }
}

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
      if (known && !isNewerStatus(call.status, known.status)) return;
      const next = [...list.filter((c) => c.callId !== call.callId), { ...call }];
      calls.set(verificationId, next, ttlMs);
    },
    async callsOf(verificationId) {
      return (calls.get(verificationId) ?? []).map((c) => ({ ...c }));
    },
    async markCancelled(verificationId, ttlMs) {
      cancelled.set(verificationId, true, ttlMs);
    },
    async isCancelled(verificationId) {
      return cancelled.get(verificationId) === true;
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
    async get(callId) {
      return readings.get(callId);
    },
    async drop(callId) {
      readings.delete(callId);
    },
  };
}
