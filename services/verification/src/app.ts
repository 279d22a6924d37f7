/** The verification service assembled on a platform; it also runs the projector. */
import { VerificationServiceService } from "../../../proto/gen/otp/v1/verification";
import type { Subscription } from "../../shared/src/bus/port";
import type { GrpcServer } from "../../shared/src/grpc/server";
import { createVerificationProjection } from "../../shared/src/projection/projection";
import { createProjector, type Projector } from "../../shared/src/projection/projector";
import type { Platform } from "../../shared/src/runtime/platform";
import { ADMIN_METHODS, verificationHandlers } from "./grpc-handlers";
import { createVerificationService, type VerificationService } from "./verification-service";

export interface VerificationApp {
  service: VerificationService;
  projector: Projector;
  register(server: GrpcServer): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createVerificationApp(p: Platform, options: { retentionMs: number }): VerificationApp {
  const projection = createVerificationProjection({
    store: p.store,
    secrets: p.secrets,
    retentionMs: options.retentionMs,
  });
  const service = createVerificationService({
    bus: p.bus,
    store: p.store,
    projection,
    secrets: p.secrets,
    policies: p.policies,
    topics: p.topics,
    now: p.now,
  });
  const projector = createProjector({ ...p, projection });
  let projecting: Subscription | undefined;
  return {
    service,
    projector,
    register: (server) =>
      server.addService(VerificationServiceService, verificationHandlers(service, p.now), {
        adminMethods: [...ADMIN_METHODS],
      }),
    async start() {
      projecting = await projector.start();
      await projecting.ready;
    },
    async stop() {
      await projecting?.stop();
    },
  };
}
