/**
 * Fires due fallback and expiry timers. Every replica polls every timer set; `claimDue` hands
 * each due timer to one of them under a lease. The claimer runs the command and then acks; if it
 * dies first, the lease runs out and another replica fires the timer again, which the routing
 * aggregate ignores when the step has already moved on. So a timer fires at least once and acts
 * exactly once.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../../shared/src/log";
import type { Store } from "../../shared/src/store/port";
import { ackTimer, claimDue } from "../../shared/src/store/scripts";
import type { RoutingCommand } from "./core/types";
import { parseTimerId } from "./effects";
import type { RoutingEngine } from "./routing-engine";
import { timerSets } from "./timer-sets";
import type { DispatchTraces } from "../../shared/src/telemetry/dispatch-traces";

export interface TimerSettings {
  /** How often an idle poller looks for due timers. */
  pollIntervalMs: number;
  /** Timers claimed per call; a full batch is followed by another claim at once. */
  batchSize: number;
  /** How long a claimed timer is this replica's; then it becomes due again. */
  leaseMs: number;
  /** Timers of one batch fired concurrently. */
  concurrency: number;
  shards: number;
}

export const DEFAULT_TIMER_SETTINGS: TimerSettings = {
  pollIntervalMs: 25,
  batchSize: 100,
  leaseMs: 5_000,
  concurrency: 16,
  shards: 1,
};

export interface TimerPollerDeps {
  store: Store;
  engine: RoutingEngine;
  clock: () => number;
  logger: Logger;
  settings: TimerSettings;
  /** Continues the verification's trace when a timer fires (it fires in no trace of its own). */
  traces?: DispatchTraces;
  /** Called with the ids of each claim before they fire (fault-injection seam for tests). */
  afterClaim?: (ids: readonly string[]) => void;
}

export interface TimerPoller {
  start(): void;
  /** Stops polling and waits for the timers in hand. */
  stop(): Promise<void>;
}

const ERROR_BACKOFF_MS = 500;

/** The trace anchor routing keeps per verification (attempt numbers start at 1). */
export const VERIFICATION_TRACE = 0;

export function createTimerPoller(deps: TimerPollerDeps): TimerPoller {
  const { settings, logger } = deps;
  const sets = timerSets(settings.shards);
  const stopping = new AbortController();
  let loop: Promise<void> | undefined;

  const fire = async (set: string, id: string, lease: number): Promise<void> => {
    const parsed = parseTimerId(id);
    if (parsed) {
      const command: RoutingCommand =
        parsed.timer.kind === "expiry"
          ? { type: "ExpiryDue", inputId: id }
          : { type: "FallbackDue", inputId: id, attempt: parsed.timer.attempt };
      const handle = () => deps.engine.handle(parsed.verificationId, command);
      if (deps.traces) {
        await deps.traces.continueAttempt(
          { verificationId: parsed.verificationId, attempt: VERIFICATION_TRACE },
          `routing ${parsed.timer.kind} timer`,
          { "otp.timer.kind": parsed.timer.kind },
          handle,
        );
      } else {
        await handle();
      }
    } else {
      logger.warn("dropping a timer with an unknown id", { timerId: id });
    }
    await deps.store.run(ackTimer, { key: set, id, lease });
  };

  const fireAll = async (set: string, ids: readonly string[], lease: number): Promise<void> => {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ids.length) {
        const id = ids[next++]!;
        // Not acked on failure: the lease runs out and the timer fires again.
        await fire(set, id, lease).catch((err: unknown) =>
          logger.warn("timer failed; it will fire again", { timerId: id, error: err }),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(settings.concurrency, ids.length) }, worker));
  };

  /** One pass over every set; true when some set had a full batch (more may be due). */
  const pollOnce = async (): Promise<boolean> => {
    let more = false;
    for (const set of sets) {
      const claim = await deps.store.run(claimDue, {
        key: set,
        now: Math.floor(deps.clock()),
        limit: settings.batchSize,
        leaseMs: settings.leaseMs,
      });
      if (claim.ids.length === 0) continue;
      deps.afterClaim?.(claim.ids);
      await fireAll(set, claim.ids, claim.lease);
      more ||= claim.ids.length === settings.batchSize;
    }
    return more;
  };

  const run = async (): Promise<void> => {
    while (!stopping.signal.aborted) {
      let pause = settings.pollIntervalMs;
      try {
        if (await pollOnce()) pause = 0;
      } catch (err) {
        logger.warn("timer poll failed", { error: err });
        pause = ERROR_BACKOFF_MS;
      }
      if (pause > 0) await sleep(pause, undefined, { signal: stopping.signal }).catch(() => undefined);
    }
  };

  return {
    start() {
      loop ??= run();
    },
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
