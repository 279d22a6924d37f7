/**
 * Incidents: an operator (or routing's health monitor) declares that channels in a district are
 * in trouble, until a time or until resolved, with a notice per locale for in-app banners.
 * Routing reads them to reorder workflows; issuance reads them for incident relief
 * (`activeIncidents`). Kept in the store, so every replica of every service sees the same.
 */
import { randomBytes } from "node:crypto";
import { Incident } from "@proto/otp/v1/common";
import { OtpError } from "@domain/errors";
import type { Store } from "../store/port";
import { NO_END, putIncident, readIncidents, resolveIncident } from "./incident-scripts";

export interface DeclareIncidentInput {
  district: string;
  channels: Incident["channels"];
  until?: Date;
  notices: Record<string, string>;
  automatic: boolean;
  declaredBy: string;
  now: Date;
}

export interface ResolvedIncident {
  incident: Incident;
  /** False when it had been resolved before (nothing changed). */
  resolvedNow: boolean;
}

export interface ListIncidentsOptions {
  /** Only this district ("" or absent for all). */
  district?: string;
  includeResolved?: boolean;
  now: Date | number;
}

export interface IncidentStore {
  declare(input: DeclareIncidentInput): Promise<Incident>;
  /** Undefined when no incident has this id. */
  resolve(incidentId: string, resolvedBy: string, now: Date): Promise<ResolvedIncident | undefined>;
  list(options: ListIncidentsOptions): Promise<Incident[]>;
}

export interface IncidentStoreOptions {
  /** Resolved or expired incidents are kept this long for ListIncidents (default 7 days). */
  keepEndedMs?: number;
  newId?: () => string;
}

const DEFAULT_KEEP_ENDED_MS = 7 * 24 * 3_600_000;

const newIncidentId = (): string => `inc_${randomBytes(12).toString("base64url")}`;

const ms = (at: Date | number): number => (typeof at === "number" ? at : at.getTime());

/** Active: not resolved, and its `until` (if any) still ahead. */
export function isActiveIncident(incident: Incident, now: Date | number): boolean {
  if (incident.resolvedAt) return false;
  return !incident.until || incident.until.getTime() > ms(now);
}

export function createIncidentStore(store: Store, options: IncidentStoreOptions = {}): IncidentStore {
  const keepEndedMs = options.keepEndedMs ?? DEFAULT_KEEP_ENDED_MS;
  const newId = options.newId ?? newIncidentId;

  return {
    async declare(input) {
      const incident: Incident = {
        incidentId: newId(),
        district: input.district,
        channels: [...input.channels],
        declaredAt: input.now,
        until: input.until,
        notices: { ...input.notices },
        automatic: input.automatic,
        declaredBy: input.declaredBy,
        resolvedAt: undefined,
      };
      const created = await store.run(putIncident, {
        incidentId: incident.incidentId,
        json: JSON.stringify(Incident.toJSON(incident)),
        endAtMs: incident.until ? incident.until.getTime() : NO_END,
      });
      if (!created) throw new OtpError("OTP_ALREADY_EXISTS", "incident id already in use");
      return incident;
    },

    async resolve(incidentId, resolvedBy, now) {
      const reply = await store.run(resolveIncident, {
        incidentId,
        resolutionJson: JSON.stringify({ resolvedAt: now.toISOString(), resolvedBy }),
        resolvedAtMs: now.getTime(),
      });
      if (!reply.found) return undefined;
      return { incident: parseIncident(reply.json, reply.resolutionJson), resolvedNow: reply.resolvedNow };
    },

    async list({ district, includeResolved = false, now }) {
      const stored = await store.run(readIncidents, { nowMs: ms(now), keepEndedMs });
      return stored
        .map((s) => parseIncident(s.json, s.resolutionJson))
        .filter((i) => !district || i.district === district)
        .filter((i) => includeResolved || isActiveIncident(i, now))
        .sort((a, b) => (a.declaredAt?.getTime() ?? 0) - (b.declaredAt?.getTime() ?? 0));
    },
  };
}

/** Incidents in force for a district right now (issuance's incident-relief hook). */
export async function activeIncidents(
  store: Store,
  district: string,
  now: Date | number,
): Promise<Incident[]> {
  if (!district) return [];
  return createIncidentStore(store).list({ district, now });
}

function parseIncident(json: string, resolutionJson: string | undefined): Incident {
  const incident = Incident.fromJSON(JSON.parse(json));
  if (resolutionJson === undefined) return incident;
  const resolution = JSON.parse(resolutionJson) as { resolvedAt?: string };
  return { ...incident, resolvedAt: resolution.resolvedAt ? new Date(resolution.resolvedAt) : undefined };
}
