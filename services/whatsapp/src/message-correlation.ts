/**
 * wamid → (verification, attempt, tenant, district, route) for status webhooks, and the "already
 * sent" ledger that makes dispatch idempotent on (verification id, attempt). A port: the
 * in-memory version below serves one process and tests; store-correlation.ts shares it between
 * replicas through the Store (Redis SET NX PX / GET).
 */
export interface MessageRef {
  verificationId: string;
  attempt: number;
  tenant: string;
  district: string;
  operator: string;
  /** Sender name. */
  route: string;
}

export interface MessageCorrelation {
  /** True the first time for this (verification, attempt) within `ttlMs`; false afterwards. */
  claimAttempt(verificationId: string, attempt: number, ttlMs: number): Promise<boolean>;
  remember(messageId: string, ref: MessageRef, ttlMs: number): Promise<void>;
  lookup(messageId: string): Promise<MessageRef | undefined>;
}

interface Timed<T> {
  value: T;
  expiresAt: number;
}

/** Bounded (oldest entries dropped first) and swept lazily on access. */
export function createMemoryCorrelation(
  options: { now?: () => number; maxEntries?: number } = {},
): MessageCorrelation {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 200_000;
  const refs = new Map<string, Timed<MessageRef>>();
  const claims = new Map<string, Timed<true>>();

  const put = <T>(map: Map<string, Timed<T>>, key: string, value: T, ttlMs: number): void => {
    map.delete(key);
    map.set(key, { value, expiresAt: now() + ttlMs });
    sweep(map);
  };
  const get = <T>(map: Map<string, Timed<T>>, key: string): T | undefined => {
    const entry = map.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now()) {
      map.delete(key);
      return undefined;
    }
    return entry.value;
  };
  const sweep = <T>(map: Map<string, Timed<T>>): void => {
    const t = now();
    for (const [key, entry] of map) {
      if (map.size <= maxEntries && entry.expiresAt > t) break;
      map.delete(key);
    }
  };

  return {
    async claimAttempt(verificationId, attempt, ttlMs) {
      const key = `${verificationId}:${attempt}`;
      if (get(claims, key) !== undefined) return false;
      put(claims, key, true, ttlMs);
      return true;
    },
    async remember(messageId, ref, ttlMs) {
      put(refs, messageId, ref, ttlMs);
    },
    async lookup(messageId) {
      return get(refs, messageId);
    },
  };
}
