/**
 * Incidents as routing decisions need them: the active ones an operator declared for a district,
 * read from the shared incident store at most once per `cacheMs` per replica. Automatic
 * incidents (declared by the health monitor) are left out: the health state they mirror already
 * reorders, and, unlike an incident, it lets a few probes through to see the channel recover.
 */
import type { Incident } from "@proto/otp/v1/common";
import type { IncidentStore } from "@platform/incidents";
import type { ChannelName, IncidentView } from "./core/types";
import { channelFromProto } from "./proto-mapping";

export interface IncidentReader {
  declaredFor(district: string, now: number): Promise<IncidentView[]>;
  /** Forget the cache (after this replica declared or resolved one). */
  invalidate(): void;
}

export function createIncidentReader(incidents: IncidentStore, cacheMs: number): IncidentReader {
  let cached: { readAt: number; active: Incident[] } | undefined;
  return {
    async declaredFor(district, now) {
      if (!district) return [];
      if (!cached || now - cached.readAt >= cacheMs) {
        cached = { readAt: now, active: await incidents.list({ now }) };
      }
      return cached.active
        .filter((i) => i.district === district && !i.automatic && isStillActive(i, now))
        .map((i) => ({
          incidentId: i.incidentId,
          channels: i.channels.map(channelFromProto).filter((c): c is ChannelName => c !== undefined),
        }))
        .filter((i) => i.channels.length > 0);
    },
    invalidate() {
      cached = undefined;
    },
  };
}

const isStillActive = (i: Incident, now: number) => !i.until || i.until.getTime() > now;
