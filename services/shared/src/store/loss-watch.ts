/**
 * Notices that the store lost its data (a Redis restarted without persistence, a failover to an
 * empty replica, a FLUSHALL) and rebuilds the projection from the log by itself.
 *
 * A marker key without expiry marks a store the log has been replayed into; every `intervalMs`
 * each replica reads it. When it is gone, the replica that writes the new marker first
 * (set-if-absent) replays the log in a fresh consumer group; the others only see a new marker.
 * At start, a store without a marker is replayed into as well: a new deployment's store and one
 * that came back empty together with the services (a site-wide power cut) look the same, and
 * replaying a short log costs little. Replaying is idempotent (evolve skips events it has
 * applied), so a second replica replaying by mistake costs time, not correctness.
 *
 * The replay is caught up once it has gone `idleMs` without handling an event older than the
 * moment the loss was seen: from then on it only sees what the steady projector sees too.
 */
import { randomUUID } from "node:crypto";
import type { BusMessage, Subscription } from "../bus/port";
import type { Logger } from "../log";
import type { Store } from "./port";

export const STORE_MARKER = "store-epoch";

export interface StoreLossWatchDeps {
  store: Store;
  logger: Logger;
  now: () => number;
  /**
   * Replays the whole log into the store, in a group of its own, telling `observe` of each
   * message; `lossSeenAt` is when the loss was seen. Its `stop()` ends the rebuild.
   */
  replay(observe: (message: BusMessage) => void, lossSeenAt: number): Promise<Subscription>;
  /** The marker's key suffix: one per service whose state lives in the store. */
  marker?: string;
  /** What is rebuilt, for the logs ("projection"). */
  what?: string;
  intervalMs?: number;
  idleMs?: number;
  /** Told when a rebuild starts and ends (metrics, tests). */
  onRebuild?: (phase: "started" | "finished") => void;
}

export interface StoreLossWatch {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** One look at the marker (what the timer does); resolves once any rebuild it began is done. */
  check(): Promise<void>;
}

export function createStoreLossWatch(deps: StoreLossWatchDeps): StoreLossWatch {
  const intervalMs = deps.intervalMs ?? 2_000;
  const idleMs = deps.idleMs ?? 5_000;
  const marker = deps.store.key(deps.marker ?? STORE_MARKER);
  const what = deps.what ?? "projection";
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const rebuild = async (atStart: boolean): Promise<void> => {
    const lossSeenAt = deps.now();
    let lastOldEventAt = deps.now();
    let replayed = 0;
    deps.onRebuild?.("started");
    if (atStart) deps.logger.info(`store has no ${what} marker: replaying the log into it`);
    else deps.logger.warn(`store lost its data: rebuilding the ${what} from the log`);
    const subscription = await deps.replay((message) => {
      replayed++;
      const at = message.envelope.occurredAt?.getTime() ?? 0;
      if (at < lossSeenAt) lastOldEventAt = deps.now();
    }, lossSeenAt);
    try {
      await subscription.ready;
      while (!stopped && deps.now() - lastOldEventAt < idleMs) {
        await new Promise((r) => setTimeout(r, Math.min(500, idleMs)));
      }
    } finally {
      await subscription.stop();
    }
    deps.logger.info(`${what} rebuilt from the log`, { replayed });
    deps.onRebuild?.("finished");
  };

  const check = async (atStart = false): Promise<void> => {
    if (running) return running;
    running = (async () => {
      if ((await deps.store.get(marker)) !== null) return;
      // Whoever writes the new marker first rebuilds; the others carry on.
      if (await deps.store.set(marker, `${deps.now()}:${randomUUID()}`, { onlyIfAbsent: true })) {
        await rebuild(atStart);
      }
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
    check: () => check(false),
  };
}
