/**
 * "Is an incident declared for this district?" as issuance asks it on every start, without a
 * store read per start: every district's incidents are read in one call (as routing's incident
 * reader does) and kept per process. Only a start that finds no answer in hand, or one older than
 * `maxStaleMs`, waits for the read; the others take the answer in hand and, once it is older than
 * `cacheMs`, refresh it in the background. Under steady traffic an incident declared or resolved
 * takes effect on starts within about `cacheMs`; after a quiet spell, from the start after the
 * first one.
 */
import type { Incident } from "@proto/otp/v1/common";
import type { Store } from "../store/port";
import { createIncidentStore, isActiveIncident } from "./incident-store";

export function cachedIncidentCheck(
  store: Store,
  now: () => number,
  cacheMs = 1_000,
  maxStaleMs = 60_000,
): (district: string) => Promise<boolean> {
  const incidents = createIncidentStore(store);
  let cached: { readAt: number; active: Incident[] } | undefined;
  let reading: Promise<Incident[]> | undefined;

  const refresh = (at: number): Promise<Incident[]> => {
    reading ??= incidents
      .list({ now: at })
      .then((active) => {
        cached = { readAt: at, active };
        return active;
      })
      .finally(() => (reading = undefined));
    return reading;
  };

  return async (district) => {
    if (!district) return false;
    const at = now();
    let active: Incident[];
    if (cached && at - cached.readAt < maxStaleMs) {
      // A failed background read is not remembered: a later start asks again.
      if (at - cached.readAt >= cacheMs) refresh(at).catch(() => undefined);
      active = cached.active;
    } else {
      active = await refresh(at);
    }
    return active.some((i) => i.district === district && isActiveIncident(i, at));
  };
}
