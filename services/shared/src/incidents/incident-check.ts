/**
 * "Is an incident declared for this district?" as issuance asks it on every start: read from
 * the shared incident store at most once per `cacheMs` per district and process, as routing's
 * incident reader does, instead of one Redis read per start. An incident declared or resolved
 * takes effect on starts within `cacheMs`.
 */
import type { Store } from "../store/port";
import { activeIncidents } from "./incident-store";

export function cachedIncidentCheck(
  store: Store,
  now: () => number,
  cacheMs = 1_000,
): (district: string) => Promise<boolean> {
  const cache = new Map<string, { readAt: number; active: Promise<boolean> }>();
  return (district) => {
    if (!district) return Promise.resolve(false);
    const at = now();
    const hit = cache.get(district);
    if (hit && at - hit.readAt < cacheMs) return hit.active;
    const active = activeIncidents(store, district, at).then((list) => list.length > 0);
    // A failed read is not remembered: the next start asks again.
    active.catch(() => cache.delete(district));
    if (cache.size > 10_000) cache.clear(); // districts are few; this only bounds a flood of bad hints
    cache.set(district, { readAt: at, active });
    return active;
  };
}
