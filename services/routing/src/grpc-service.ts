/**
 * otp.v1.RoutingService: channel health with a recommendation, route explanations (a tenant
 * sees only its own verifications), and incidents (declare and resolve need the admin role,
 * enforced by the server wrapper through ROUTING_ADMIN_METHODS).
 */
import { Channel, type Incident } from "@proto/otp/v1/common";
import type { RoutingServiceService } from "@proto/otp/v1/routing";
import type { EventBus } from "@platform/bus/port";
import { invalidArgument, OtpError } from "@domain/errors";
import { envelope } from "@platform/events/envelope";
import type { TopicNames } from "@platform/bus/topics";
import type { ServiceHandlers } from "@platform/grpc/handlers";
import { unary } from "@platform/grpc/handlers";
import { type CallerIdentity, hasRole, requireTenant } from "@platform/grpc/identity";
import type { IncidentStore } from "@platform/incidents";
import { recommendChannel } from "./core/recommend";
import type { ChannelName, HealthFigures, RoutingState } from "./core/types";
import type { HealthRepository } from "./health/health-store";
import type { DueTimer } from "./partition/timer-heap";
import type { IncidentReader } from "./incident-reader";
import {
  channelFromProto,
  channelHealthToProto,
  channelToProto,
  decisionToProto,
  plannedStepToProto,
} from "./proto-mapping";

export const ROUTING_ADMIN_METHODS = ["declareIncident", "resolveIncident"] as const;

/** The routing states this replica can see: its own partitions', then the changelog's copy. */
export interface RoutingStates {
  load(verificationId: string): Promise<RoutingState | undefined>;
  /** Partitions this replica serves now. */
  owned(): number[];
  /** The timers this replica holds for a verification (none when another replica owns it). */
  timers(verificationId: string): DueTimer[];
}

export interface RoutingGrpcDeps {
  states: RoutingStates;
  health: HealthRepository;
  incidents: IncidentStore;
  incidentReader: IncidentReader;
  bus: EventBus;
  topics: TopicNames;
  clock: () => number;
}

const DISTRICT = /^[\p{L}\p{N} ._:/-]{1,64}$/u;
const LOCALE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$/;
const MAX_NOTICES = 16;
const MAX_NOTICE_LENGTH = 500;

export function routingGrpcHandlers(deps: RoutingGrpcDeps): ServiceHandlers<typeof RoutingServiceService> {
  return {
    getChannelHealth: unary(async (req) => {
      const now = deps.clock();
      const district = req.district.trim();
      if (district && !DISTRICT.test(district)) throw invalidArgument("district", "not a district name");
      const districts = district ? [district] : await deps.health.districts(now);
      const figures = (
        await Promise.all(districts.map((d) => deps.health.districtFigures(d, now, true)))
      ).flat();
      const incidents = await deps.incidents.list({ district, now });
      return {
        channels: figures.map(channelHealthToProto),
        recommendedChannel: district ? recommended(figures, incidents) : Channel.CHANNEL_UNSPECIFIED,
        incidents,
      };
    }),

    explainRoute: unary(async (req, ctx) => {
      const state = /^[A-Za-z0-9_-]{1,128}$/.test(req.verificationId)
        ? await deps.states.load(req.verificationId)
        : undefined;
      // The same answer for "no such verification" and "not yours": existence is not disclosed.
      if (!state || state.status === "new" || !mayExplain(ctx.identity, state.tenant)) {
        throw new OtpError("OTP_NOT_FOUND", "verification not found");
      }
      return {
        verificationId: state.verificationId,
        plannedSteps: state.steps.map(plannedStepToProto),
        decisions: state.decisions.map(decisionToProto),
      };
    }),

    declareIncident: unary(async (req, ctx) => {
      const now = new Date(deps.clock());
      const input = validateDeclaration(req, now);
      const incident = await deps.incidents.declare({
        ...input,
        automatic: false,
        declaredBy: ctx.identity.principal,
        now,
      });
      await publishIncident(deps, incident.district, incident.incidentId, now, {
        $case: "incidentDeclared",
        value: { incident },
      });
      deps.incidentReader.invalidate();
      return { incident };
    }),

    resolveIncident: unary(async (req, ctx) => {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(req.incidentId))
        throw invalidArgument("incident_id", "not an incident id");
      const now = new Date(deps.clock());
      const resolved = await deps.incidents.resolve(req.incidentId, ctx.identity.principal, now);
      if (!resolved) throw new OtpError("OTP_NOT_FOUND", "incident not found");
      if (resolved.resolvedNow) {
        await publishIncident(deps, resolved.incident.district, req.incidentId, now, {
          $case: "incidentResolved",
          value: { incidentId: req.incidentId, resolvedBy: ctx.identity.principal },
        });
        deps.incidentReader.invalidate();
      }
      return { incident: resolved.incident };
    }),

    listIncidents: unary(async (req) => {
      const district = req.district.trim();
      return {
        incidents: await deps.incidents.list({
          district,
          includeResolved: req.includeResolved,
          now: deps.clock(),
        }),
      };
    }),
  };
}

function mayExplain(identity: CallerIdentity, tenant: string): boolean {
  if (hasRole(identity, "admin")) return true;
  return requireTenant(identity) === tenant;
}

function recommended(figures: readonly HealthFigures[], incidents: readonly Incident[]): Channel {
  const troubled = incidents
    .filter((i) => !i.automatic)
    .flatMap((i) => i.channels.map(channelFromProto))
    .filter((c): c is ChannelName => c !== undefined);
  const best = recommendChannel(
    figures.filter((f) => f.route === ""),
    troubled,
  );
  return best ? channelToProto(best) : Channel.CHANNEL_UNSPECIFIED;
}

function validateDeclaration(
  req: { district: string; channels: Channel[]; until?: Date | undefined; notices: Record<string, string> },
  now: Date,
): { district: string; channels: Channel[]; until?: Date; notices: Record<string, string> } {
  const district = req.district.trim();
  if (!DISTRICT.test(district))
    throw invalidArgument("district", "required: 1-64 letters, digits, spaces or . _ : / -");
  if (req.channels.some((c) => channelFromProto(c) === undefined)) {
    throw invalidArgument("channels", "every channel must be whatsapp, sms or voice");
  }
  if (req.until && req.until.getTime() <= now.getTime())
    throw invalidArgument("until", "must be in the future");
  const notices = Object.entries(req.notices);
  if (notices.length > MAX_NOTICES) throw invalidArgument("notices", `at most ${MAX_NOTICES} locales`);
  for (const [locale, text] of notices) {
    if (!LOCALE.test(locale)) throw invalidArgument("notices", `${locale.slice(0, 16)} is not a locale`);
    if (text.length === 0 || text.length > MAX_NOTICE_LENGTH) {
      throw invalidArgument("notices", `each notice needs 1-${MAX_NOTICE_LENGTH} characters`);
    }
  }
  return {
    district,
    channels: [...new Set(req.channels)],
    ...(req.until ? { until: req.until } : {}),
    notices: req.notices,
  };
}

async function publishIncident(
  deps: RoutingGrpcDeps,
  district: string,
  incidentId: string,
  at: Date,
  event: Parameters<typeof envelope>[1],
): Promise<void> {
  await deps.bus.publish(
    deps.topics.routing,
    envelope({ verificationId: incidentId, tenant: "", at }, event),
    {
      key: district,
    },
  );
}
