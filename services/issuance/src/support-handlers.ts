/**
 * otp.v1.SupportService over gRPC: for service principals only (the WhatsApp support assistant
 * runs as `service:assistant`). A service acts for several tenants, so the tenant is a request
 * field here; tenant and admin callers are refused, so no tenant can look verifications up by
 * phone number.
 */
import { SupportServiceService } from "@proto/otp/v1/support";
import { OtpError } from "@domain/errors";
import { unary, type ServiceHandlers } from "@platform/grpc/handlers";
import { hasRole, type CallerIdentity } from "@platform/grpc/identity";
import type { GrpcServer } from "@platform/grpc/server";
import { toVerificationView } from "@verification-state/view";
import type { SupportDesk } from "./support-desk";

function requireService(identity: CallerIdentity): void {
  if (!hasRole(identity, "service")) throw new OtpError("OTP_PERMISSION_DENIED", "caller is not a service");
}

function supportHandlers(
  desk: SupportDesk,
  now: () => number,
): ServiceHandlers<typeof SupportServiceService> {
  return {
    findActiveVerification: unary(async (req, ctx) => {
      requireService(ctx.identity);
      const state = await desk.findActive(req.tenant, req.phone);
      return state ? { verification: toVerificationView(state, now()) } : {};
    }),
    resendForPhone: unary(async (req, ctx) => {
      requireService(ctx.identity);
      const state = await desk.resend(
        req.tenant,
        req.phone,
        req.verificationId,
        req.channel,
        ctx.identity.principal,
      );
      return { verification: toVerificationView(state, now()) };
    }),
  };
}

export function registerSupportService(server: GrpcServer, desk: SupportDesk, now: () => number): void {
  server.addService(SupportServiceService, supportHandlers(desk, now));
}
