/**
 * A small IssuanceService used by the tests of the gRPC layer (services/shared/src/grpc). It answers with what the
 * layer gave it (identity, metadata, deadline) and fails on request, chosen by `purpose`:
 *   "rate-limited"  OtpError OTP_RATE_LIMITED with retryAfterMs 1500
 *   "invalid"       OtpError with a field violation
 *   "crash"         a plain Error whose message must never reach the client
 *   "hang"          waits until the call's signal aborts
 * The server-stream sends three updates, or with verification id "forever" sends until aborted.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { IssuanceServiceService } from "@proto/otp/v1/issuance";
import { RiskTier, type Verification, VerificationMethod, VerificationStatus } from "@proto/otp/v1/common";
import { invalidArgument, OtpError } from "@domain/errors";
import { type CallContext, serverStream, type ServiceHandlers, unary } from "@platform/grpc/handlers";
import { requireTenant } from "@platform/grpc/identity";

export interface TestServiceProbe {
  calls: number;
  /** The last context a handler received. */
  lastContext?: CallContext;
  /** The abort reasons handlers saw on their signals, in order. */
  aborts: unknown[];
}

export function createTestIssuance(): {
  handlers: ServiceHandlers<typeof IssuanceServiceService>;
  probe: TestServiceProbe;
} {
  const probe: TestServiceProbe = { calls: 0, aborts: [] };
  const enter = (ctx: CallContext): void => {
    probe.calls += 1;
    probe.lastContext = ctx;
    ctx.signal.addEventListener("abort", () => probe.aborts.push(ctx.signal.reason), { once: true });
  };

  const handlers: ServiceHandlers<typeof IssuanceServiceService> = {
    startVerification: unary(async (req, ctx) => {
      enter(ctx);
      await failOnRequest(req.purpose, ctx.signal);
      return {
        verification: verificationFor(ctx, "v-1"),
        reused: false,
        silentAuthUrl: "",
        silentAuthExpiresAt: undefined,
      };
    }),
    resendCode: unary(async (req, ctx) => {
      enter(ctx);
      requireTenant(ctx.identity);
      return { verification: verificationFor(ctx, req.verificationId) };
    }),
    cancelVerification: unary(async (req, ctx) => {
      enter(ctx);
      return { verification: verificationFor(ctx, req.verificationId) };
    }),
    getVerification: unary(async (req, ctx) => {
      enter(ctx);
      return { verification: verificationFor(ctx, req.verificationId) };
    }),
    watchVerification: serverStream(async (req, ctx, send) => {
      enter(ctx);
      const count = req.verificationId === "forever" ? Infinity : 3;
      for (let i = 1; i <= count; i += 1) {
        await send({
          verification: verificationFor(ctx, req.verificationId),
          event: `update ${i}`,
          at: new Date(),
        });
        if (count === Infinity) await sleep(20, undefined, { signal: ctx.signal });
      }
    }),
  };
  return { handlers, probe };
}

async function failOnRequest(purpose: string, signal: AbortSignal): Promise<void> {
  switch (purpose) {
    case "rate-limited":
      throw new OtpError("OTP_RATE_LIMITED", "too many verifications for this number", {
        retryAfterMs: 1500,
      });
    case "invalid":
      throw invalidArgument("phone", "must be E.164");
    case "crash":
      throw new Error("connect ECONNREFUSED redis-secret.internal:6379 password=hunter2");
    case "hang":
      await sleep(60_000, undefined, { signal });
      return;
    default:
      return;
  }
}

/** Carries the caller's identity back in fields a test can read. */
function verificationFor(ctx: CallContext, verificationId: string): Verification {
  return {
    verificationId,
    status: VerificationStatus.VERIFICATION_STATUS_PENDING,
    verificationMethod: VerificationMethod.VERIFICATION_METHOD_UNSPECIFIED,
    purpose: ctx.identity.principal,
    riskTier: RiskTier.RISK_TIER_UNSPECIFIED,
    maskedPhone: "",
    district: ctx.identity.tenant ?? "",
    locale: ctx.metadata.get("authorization").length > 0 ? "leaked-authorization" : "",
    plannedSteps: [],
    attempts: [],
    checksRemaining: 0,
    sendsRemaining: 0,
    hasTransactionBinding: false,
  };
}
