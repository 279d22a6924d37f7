/**
 * Notices that the store lost its data (a Redis restarted without persistence, a failover to an
 * empty replica, a FLUSHALL) and rebuilds a service's state from the log by itself.
 *
 * A marker key without expiry marks a store the log has been replayed into; every `intervalMs`
 * each replica reads it. When it is gone, the replica that writes the new marker first
 * (set-if-absent) replays the log in a fresh consumer group; the others only see a new marker.
 * At start, a store without a marker is replayed into as well: a new deployment's store and one
 * that came back empty together with the services (a site-wide power cut) look the same, and
 * replaying a short log costs little. Replays must be idempotent, so a second replica replaying
 * by mistake costs time, not correctness.
 *
 * The replay is caught up once it has gone `idleMs` without handling an event older than the
 * moment the loss was seen: from then on it only sees what the steady consumer sees too. A replay
 * that ends before that (the service stopping, the replay failing) removes the marker again, so
 * the next look replays anew.
 */
import { randomUUID } from "node:crypto";
import type { BusMessage, Subscription } from "../bus/port";
import type { Logger } from "../log";
import type { Store } from "./port";

/** A replay under way: `caughtUp` (if any) runs once it has caught up and stopped. */
export interface Replay extends Subscription {
  caughtUp?(): Promise<void>;
}

export interface StoreLossWatchDeps {
  store: Store;
  logger: Logger;
  now: () => number;
  /**
   * Replays the whole log into the store, in a group of its own, telling `observe` of each
   * message; `lossSeenAt` is when the loss was seen.
   */
  replay(observe: (message: BusMessage) => void, lossSeenAt: number): Promise<Replay>;
  /** The marker's key suffix: one per service whose state lives in the store. */
  marker: string;
  /** What is rebuilt, for the logs ("projection"). */
  what: string;
  intervalMs?: number;
  idleMs?: number;
  /** Told when a rebuild starts and ends (metrics, tests). */
  onRebuild?: (phase: "started" | "finished") => void;
}

export interface StoreLossWatch {
  start(): Promise<void>;
  stop(): Promise<void>;
  epoch: StoreEpoch;
}

/**
 * The store's epoch: the marker's value, new each time the store is found to have lost
 * everything and the log is replayed into it.
 */
export interface StoreEpoch {
  /** The value last read or written, without a store call. */
  seen(): string | undefined;
  /** The value the store holds now (undefined: the marker is gone, the store lost it). */
  current(): Promise<string | undefined>;
}

export function createStoreLossWatch(deps: StoreLossWatchDeps): StoreLossWatch {
  const intervalMs = deps.intervalMs ?? 2_000;
  const idleMs = deps.idleMs ?? 5_000;
  const marker = deps.store.key(deps.marker);
  const { what } = deps;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let seenEpoch: string | undefined;
  const currentEpoch = async (): Promise<string | undefined> => {
    seenEpoch = (await deps.store.get(marker)) ?? undefined;
    return seenEpoch;
  };

  const rebuild = async (atStart: boolean): Promise<void> => {
    const lossSeenAt = deps.now();
    let lastOldEventAt = deps.now();
    let replayed = 0;
    deps.onRebuild?.("started");
    if (atStart) deps.logger.info(`store has no ${what} marker: replaying the log into it`);
    else deps.logger.warn(`store lost its data: rebuilding the ${what} from the log`);
    const replay = await deps.replay((message) => {
      replayed++;
      const at = message.envelope.occurredAt?.getTime() ?? 0;
      if (at < lossSeenAt) lastOldEventAt = deps.now();
    }, lossSeenAt);
    try {
      await replay.ready;
      // The idle clock starts once the replay's group has joined: on a loaded machine joining
      // alone can take longer than idleMs, and the replay would end before its first event.
      if (replayed === 0) lastOldEventAt = deps.now();
      while (!stopped && deps.now() - lastOldEventAt < idleMs) {
        await new Promise((r) => setTimeout(r, Math.min(500, idleMs)));
      }
    } finally {
      await replay.stop();
    }
    if (stopped) throw new Error("stopped before the replay caught up");
    await replay.caughtUp?.();
    deps.logger.info(`${what} rebuilt from the log`, { replayed });
    deps.onRebuild?.("finished");
  };

  const check = async (atStart = false): Promise<void> => {
    if (running) return running;
    running = (async () => {
      if ((await currentEpoch()) !== undefined) return;
      // Whoever writes the new marker first rebuilds; the others carry on.
      const epoch = `${deps.now()}:${randomUUID()}`;
      if (!(await deps.store.set(marker, epoch, { onlyIfAbsent: true }))) return;
      seenEpoch = epoch;
      await rebuild(atStart).catch(async (err: unknown) => {
        // Half a replay is no rebuild: without the marker, the next look (or start) replays anew.
        await deps.store.del(marker).catch(() => 0);
        const error = (err as Error).message;
        if (stopped) deps.logger.info(`${what} rebuild did not finish`, { error });
        else deps.logger.warn(`${what} rebuild did not finish`, { error });
      });
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  const tick = (atStart = false): void => {
    check(atStart)
      .catch((err: unknown) => {
        // The store being down is someone else's alarm; look again next time.
        deps.logger.debug("store marker unreadable", { error: (err as Error).message });
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };

  return {
    async start() {
      stopped = false;
      tick(true);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
    epoch: { seen: () => seenEpoch, current: currentEpoch },
  };
}
