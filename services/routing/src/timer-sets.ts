/**
 * Fallback and expiry timers live in sorted sets shared by every replica (store scripts
 * scheduleTimer / claimDue / ackTimer / cancelTimer). With several shards, a verification's
 * timers always land in the same one, and each shard is one Redis Cluster slot.
 */
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
