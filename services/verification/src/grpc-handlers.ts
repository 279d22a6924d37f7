/** otp.v1.VerificationService over gRPC. Overrides need the admin role (see main). */
import type { VerificationServiceService } from "@proto/otp/v1/verification";
import { invalidArgument } from "@domain/errors";
import { VERIFICATION_ID_PATTERN } from "@platform/events/envelope";
import { unary, type ServiceHandlers } from "@platform/grpc/handlers";
import { requireTenant } from "@platform/grpc/identity";
import { toVerificationView } from "@verification-state/view";
import type { VerificationService } from "./verification-service";

export const ADMIN_METHODS = ["requestOverride", "approveOverride"] as const;

export function verificationHandlers(
  service: VerificationService,
  now: () => number,
): ServiceHandlers<typeof VerificationServiceService> {
  return {
    checkCode: unary((req, ctx) => service.check(requireTenant(ctx.identity), req)),
    requestOverride: unary(async (req, ctx) => {
      if (!VERIFICATION_ID_PATTERN.test(req.verificationId))
        throw invalidArgument("verification_id", "malformed verification id");
      const r = await service.requestOverride(ctx.identity.principal, req.verificationId, req.reason);
      return { overrideId: r.overrideId, verificationId: r.verificationId, expiresAt: new Date(r.expiresAt) };
    }),
    approveOverride: unary(async (req, ctx) => {
      const state = await service.approveOverride(ctx.identity.principal, req.overrideId);
      return { verification: toVerificationView(state, now()) };
    }),
  };
}
