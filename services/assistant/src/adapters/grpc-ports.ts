/**
 * The ports over gRPC, for the assistant running as its own service: otp.v1.SupportService
 * (issuance; the assistant's identity must be a service principal) and
 * otp.v1.RoutingService.GetChannelHealth / ListIncidents.
 */
import type * as grpc from "@grpc/grpc-js";
import { RoutingServiceClient } from "@proto/otp/v1/routing";
import { SupportServiceClient } from "@proto/otp/v1/support";
import { callUnary, createClient, type GrpcClientOptions } from "@platform/grpc/client";
import { decodeStatusDetails } from "@platform/grpc/status";
import type { ChannelStatusPort, VerificationDesk } from "../ports";
import { resendRefusal } from "./resend-outcome";
import { healthSnapshots, incidentSnapshot, resendChannel, verificationSnapshot } from "./snapshots";

export interface GrpcPorts {
  desk: VerificationDesk;
  status: ChannelStatusPort;
  close(): void;
}

const isServiceError = (err: unknown): err is grpc.ServiceError =>
  typeof err === "object" && err !== null && "code" in err && "metadata" in err;

export function createGrpcPorts(issuance: GrpcClientOptions, routing: GrpcClientOptions): GrpcPorts {
  const support = createClient(SupportServiceClient, issuance);
  const router = createClient(RoutingServiceClient, routing);
  return {
    desk: {
      async findActive(tenant, phone) {
        const answer = await callUnary(support, "findActiveVerification", { tenant, phone });
        return answer.verification ? verificationSnapshot(answer.verification) : undefined;
      },
      async resend(tenant, phone, verificationId, channel) {
        try {
          await callUnary(support, "resendForPhone", {
            tenant,
            phone,
            verificationId,
            channel: resendChannel(channel),
          });
          // Routing dispatches the new attempt afterwards: the channel is the one asked for.
          return { kind: "sent", channel };
        } catch (err) {
          if (!isServiceError(err)) throw err;
          const status = decodeStatusDetails(err);
          return resendRefusal(status.reason, status.message, status.retryAfterMs);
        }
      },
    },
    status: {
      async district(district) {
        const answer = await callUnary(router, "getChannelHealth", { district });
        return {
          channels: healthSnapshots(answer.channels),
          incidents: answer.incidents.map(incidentSnapshot),
        };
      },
      async incidents() {
        const answer = await callUnary(router, "listIncidents", { district: "", includeResolved: false });
        return answer.incidents.map(incidentSnapshot);
      },
    },
    close() {
      support.close();
      router.close();
    },
  };
}
