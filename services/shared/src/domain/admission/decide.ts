/**
 * The decision for one call, in a few comparisons: nothing here may cost more than answering.
 * Checks and cancellations ("verify") are admitted ahead of everything (a user holding a code
 * must be able to use it, and each one ends work rather than making it); new starts and resends
 * ("start") need a token from their tenant's share while the server is limiting; reads go
 * unless the load is critical. Pure: the caller passes the tenant's bucket and the time.
 */
import type { AdmissionSettings, Control } from "./control";

export type CallClass = "verify" | "start" | "read";
export type RefusalReason = "in-flight" | "tenant-share" | "overload";

export type Verdict =
  { admit: true; bucket?: Bucket } | { admit: false; reason: RefusalReason; bucket?: Bucket };

/** A token bucket: tokens at time `at` (ms). */
export interface Bucket {
  tokens: number;
  at: number;
}

export interface Call {
  cls: CallClass;
  /** Gated calls in flight on this server now, every class together. */
  inFlight: number;
  /** The tenant's bucket and its share (starts/s) while limiting. */
  bucket: Bucket | undefined;
  share: number;
}

/**
 * With fewer gated calls than this in flight, the loop signals cannot be the calls' doing (a
 * process starting, a garbage collection, a neighbour on the machine): refusing them protects
 * nothing, so starts and reads go whatever the load says. Under a real surge the calls in flight
 * pass this at once.
 */
const IDLE_IN_FLIGHT = 4;
/** Checks may hold up to this many times the bound: the bound exists to cap memory, not checks. */
const VERIFY_IN_FLIGHT_FACTOR = 2;

export function decide(c: Control, call: Call, s: AdmissionSettings, now: number): Verdict {
  switch (call.cls) {
    case "verify":
      return call.inFlight < s.maxInFlight * VERIFY_IN_FLIGHT_FACTOR
        ? { admit: true }
        : { admit: false, reason: "in-flight" };
    case "read":
      if (call.inFlight >= s.maxInFlight) return { admit: false, reason: "in-flight" };
      return c.load.value < s.criticalLoad || call.inFlight < IDLE_IN_FLIGHT
        ? { admit: true }
        : { admit: false, reason: "overload" };
    case "start": {
      if (call.inFlight >= s.maxInFlight) return { admit: false, reason: "in-flight" };
      if (!c.limiting || call.inFlight < IDLE_IN_FLIGHT) return { admit: true };
      const bucket = refill(call.bucket, call.share, Math.max(1, call.share * s.burstSeconds), now);
      if (bucket.tokens < 1) return { admit: false, reason: "tenant-share", bucket };
      return { admit: true, bucket: { tokens: bucket.tokens - 1, at: bucket.at } };
    }
  }
}

/** A bucket never seen starts full: the first calls of a tenant are not refused for being first. */
function refill(b: Bucket | undefined, ratePerSec: number, burst: number, now: number): Bucket {
  if (b === undefined) return { tokens: burst, at: now };
  const tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * ratePerSec);
  return { tokens, at: now };
}
