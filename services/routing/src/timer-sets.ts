/**
 * Fallback and expiry timers live in sorted sets shared by every replica (store scripts
 * scheduleTimer / claimDue / ackTimer / cancelTimer). With several shards, a verification's
 * timers always land in the same one, and each shard is one Redis Cluster slot.
 */
import type { Store } from "../../shared/src/store/port";
import { scheduleTimer } from "../../shared/src/store/scripts";
import { stableFraction } from "./core/fraction";

const TIMER_SET = "routing";

export function timerSets(shards: number): string[] {
  return shards <= 1 ? [TIMER_SET] : Array.from({ length: shards }, (_, i) => `${TIMER_SET}-${i}`);
}

/** The set holding a timer: chosen by the verification id (the part before the first "|"). */
export function timerSetFor(timerId: string, shards: number): string {
  if (shards <= 1) return TIMER_SET;
  const verificationId = timerId.split("|", 1)[0] ?? timerId;
  return `${TIMER_SET}-${Math.floor(stableFraction(verificationId) * shards)}`;
}

/** Sets (or moves) a timer to fire at `dueAt` (ms since the epoch; the past means at once). */
export async function setTimer(store: Store, shards: number, timerId: string, dueAt: number): Promise<void> {
  await store.run(scheduleTimer, {
    key: timerSetFor(timerId, shards),
    id: timerId,
    dueAtMs: Math.max(0, Math.round(dueAt)),
  });
}
