/**
 * The assistant's ports on services in the same process: issuance's support desk, routing's
 * health figures, and the incidents in the store. Same answers as over gRPC (the assistant's
 * adapters/grpc-ports.ts), from the same snapshots.
 */
import type { SupportDesk } from "@services/issuance/src/support-desk";
import type { HealthRepository } from "@services/routing/src/health/health-store";
import { channelHealthToProto } from "@services/routing/src/proto-mapping";
import { isOtpError } from "@domain/errors";
import { createIncidentStore } from "@platform/incidents";
import { toVerificationView } from "@verification-state/view";
import type { Store } from "@platform/store/port";
import type { ChannelStatusPort, VerificationDesk } from "@services/assistant/src/ports";
import { resendRefusal } from "@services/assistant/src/adapters/resend-outcome";
import {
  healthSnapshots,
  incidentSnapshot,
  resendChannel,
  verificationSnapshot,
} from "@services/assistant/src/adapters/snapshots";

export function inProcessDesk(desk: SupportDesk, now: () => number): VerificationDesk {
  return {
    async findActive(tenant, phone) {
      const state = await desk.findActive(tenant, phone);
      return state ? verificationSnapshot(toVerificationView(state, now())) : undefined;
    },
    async resend(tenant, phone, verificationId, channel) {
      try {
        await desk.resend(tenant, phone, verificationId, resendChannel(channel), "service:assistant");
        return { kind: "sent", channel };
      } catch (err) {
        if (!isOtpError(err)) throw err;
        return resendRefusal(err.code, err.message, err.retryAfterMs);
      }
    },
  };
}

export function inProcessStatus(
  health: Pick<HealthRepository, "districtFigures">,
  store: Store,
  now: () => number,
): ChannelStatusPort {
  const incidents = createIncidentStore(store);
  return {
    async district(district) {
      const at = now();
      const [figures, declared] = await Promise.all([
        health.districtFigures(district, at, true),
        incidents.list({ district, now: new Date(at) }),
      ]);
      return {
        channels: healthSnapshots(figures.map(channelHealthToProto)),
        incidents: declared.map(incidentSnapshot),
      };
    },
    async incidents() {
      return (await incidents.list({ district: "", now: new Date(now()) })).map(incidentSnapshot);
    },
  };
}
