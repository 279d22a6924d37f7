/**
 * Calls-per-second limit (voice providers allow few: Vonage 3/s, Twilio 1 CPS by default).
 * Evenly spaced slots (GCRA with no burst); time passed in. `reserve` books the next slot and
 * says how long to wait for it.
 */
export interface CallPacer {
  /** How long a call asked for now would wait, without booking it. */
  delay(now: number): number;
  reserve(now: number): number;
}

export function createCallPacer(callsPerSecond: number): CallPacer {
  if (!(callsPerSecond > 0)) throw new RangeError("callsPerSecond must be > 0");
  const interval = 1000 / callsPerSecond;
  let nextSlot = -Infinity;
  return {
    delay(now) {
      return Math.max(0, Math.ceil(nextSlot - now));
    },
    reserve(now) {
      const at = Math.max(now, nextSlot);
      nextSlot = at + interval;
      return Math.ceil(at - now);
    },
  };
}
