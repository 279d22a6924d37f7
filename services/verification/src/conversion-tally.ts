/**
 * Verified codes counted toward their destination prefix's conversion (the SMS-pumping guard),
 * added up in memory and written once a second: one command per tenant, prefix and window a
 * second, instead of one per verified code (a Redis round trip of every lifecycle). The guard
 * judges conversion over windows of minutes and the verified side already trails the sends by
 * the time users take to type their codes, so a second more changes nothing it decides. A
 * process that dies loses at most its last second of counts; stopping writes them.
 */
import { recordPumpVerified } from "@verification-state/pumping-script";
import type { Store } from "@platform/store/port";
import type { Logger } from "@platform/log";

export interface ConversionTally {
  /** Counts one verified code in `windowIndex` of `windowMs` for the tenant's prefix. */
  add(tenant: string, prefix: string, windowIndex: number, windowMs: number): void;
  /** Writes what was counted since the last write. */
  flush(): Promise<void>;
  start(): void;
  /** Stops the timer and writes what is left. */
  stop(): Promise<void>;
}

interface Pending {
  tenant: string;
  prefix: string;
  windowIndex: number;
  windowMs: number;
  count: number;
}

export function createConversionTally(store: Store, logger: Logger, everyMs = 1_000): ConversionTally {
  let pending = new Map<string, Pending>();
  let timer: NodeJS.Timeout | undefined;
  const flush = async (): Promise<void> => {
    const batch = [...pending.values()];
    pending = new Map();
    const results = await Promise.allSettled(batch.map((p) => store.run(recordPumpVerified, { ...p })));
    results.forEach((r, i) => {
      if (r.status === "fulfilled") return;
      // Counted again with the next second's: a store away for a moment loses nothing.
      const p = batch[i]!;
      add(p.tenant, p.prefix, p.windowIndex, p.windowMs, p.count);
    });
    const failed = results.filter((r) => r.status === "rejected").length;
    if (failed > 0) logger.warn("conversion counts not written; kept for the next write", { failed });
  };
  const add = (tenant: string, prefix: string, windowIndex: number, windowMs: number, count = 1): void => {
    const key = `${tenant}\u0000${prefix}\u0000${windowIndex}\u0000${windowMs}`;
    const entry = pending.get(key);
    if (entry) entry.count += count;
    else pending.set(key, { tenant, prefix, windowIndex, windowMs, count });
  };
  return {
    add: (tenant, prefix, windowIndex, windowMs) => add(tenant, prefix, windowIndex, windowMs),
    flush,
    start() {
      timer ??= setInterval(() => void flush(), everyMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await flush();
    },
  };
}
