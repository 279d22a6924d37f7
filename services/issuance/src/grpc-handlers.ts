/** otp.v1.IssuanceService over gRPC: tenant from the caller's identity, never from the request. */
import type { IssuanceServiceService } from "@proto/otp/v1/issuance";
import type { WatchVerificationResponse } from "@proto/otp/v1/issuance";
import { isFinal, type VerificationState } from "@domain/verification";
import { invalidArgument, OtpError } from "@domain/errors";
import { VERIFICATION_ID_PATTERN } from "@platform/events/envelope";
import { serverStream, unary, type ServiceHandlers } from "@platform/grpc/handlers";
import { requireTenant } from "@platform/grpc/identity";
import { effectiveStatus, toVerificationView } from "@verification-state/view";
import type { Issuance } from "./issuance";
import { catchUpAfterStart, type WatchHub } from "./watch-hub";

const checkedId = (id: string): string => {
  if (!VERIFICATION_ID_PATTERN.test(id))
    throw invalidArgument("verification_id", "malformed verification id");
  return id;
};

/** WatchVerification streams one tenant may hold open on one replica (default). */
export const DEFAULT_MAX_WATCHES_PER_TENANT = 1000;

/**
 * Open WatchVerification streams per tenant: each holds a listener, a timer and a call until its
 * verification ends, so one tenant cannot pile up more than its share on a replica.
 */
export function createWatchQuota(max: number) {
  const open = new Map<string, number>();
  return {
    /** Takes a place for the tenant, or throws OTP_LIMIT_EXCEEDED; the result gives it back. */
    take(tenant: string): () => void {
      const held = open.get(tenant) ?? 0;
      if (held >= max) {
        throw new OtpError(
          "OTP_LIMIT_EXCEEDED",
          `this tenant already has ${held} WatchVerification streams open on this server, the most it may hold; close one (or poll GetVerification) before opening another`,
        );
      }
      open.set(tenant, held + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (open.get(tenant) ?? 1) - 1;
        if (left > 0) open.set(tenant, left);
        else open.delete(tenant);
      };
    },
    held: (tenant: string): number => open.get(tenant) ?? 0,
  };
}

export function issuanceHandlers(
  issuance: Issuance,
  hub: WatchHub,
  now: () => number,
  watchQuota = createWatchQuota(DEFAULT_MAX_WATCHES_PER_TENANT),
): ServiceHandlers<typeof IssuanceServiceService> {
  return {
    startVerification: unary(async (req, ctx) => {
      const { state, reused, silent } = await issuance.start(requireTenant(ctx.identity), req);
      return {
        verification: toVerificationView(state, now()),
        reused,
        silentAuthUrl: silent?.url ?? "",
        silentAuthExpiresAt: silent ? new Date(silent.expiresAt) : undefined,
      };
    }),
    resendCode: unary(async (req, ctx) => {
      const state = await issuance.resend(
        requireTenant(ctx.identity),
        checkedId(req.verificationId),
        req.channel,
        ctx.identity.principal,
      );
      return { verification: toVerificationView(state, now()) };
    }),
    cancelVerification: unary(async (req, ctx) => {
      const tenant = requireTenant(ctx.identity);
      const state = await issuance.cancel(
        tenant,
        checkedId(req.verificationId),
        req.reason,
        ctx.identity.principal,
      );
      return { verification: toVerificationView(state, now()) };
    }),
    getVerification: unary(async (req, ctx) => {
      const state = await issuance.get(requireTenant(ctx.identity), checkedId(req.verificationId));
      return { verification: toVerificationView(state, now()) };
    }),
    watchVerification: serverStream(async (req, ctx, send) => {
      const tenant = requireTenant(ctx.identity);
      const id = checkedId(req.verificationId);
      const release = watchQuota.take(tenant);
      const updates: WatchVerificationResponse[] = [];
      let wake: (() => void) | undefined;
      let done = false;
      let heard = 0;
      const deliver = (state: VerificationState, event: string, at: Date): void => {
        updates.push({ verification: toVerificationView(state, now()), event, at });
        if (isFinal(state)) done = true;
        wake?.();
      };
      const watch = hub.watch(id, (state, event, at) => {
        heard++;
        deliver(state, event, at);
      });
      try {
        const current = await issuance.get(tenant, id);
        await send({
          verification: toVerificationView(current, now()),
          event: "current status",
          at: new Date(now()),
        });
        if (isFinal(current) || effectiveStatus(current, now()) === "expired") return;
        void catchUpAfterStart(
          watch,
          () => heard > 0,
          current,
          () => issuance.get(tenant, id),
          (state, change) => deliver(state, change, new Date(now())),
        );
        const expiry = setTimeout(
          () => {
            done = true;
            wake?.();
          },
          Math.max(0, current.expiresAt - now()) + 1000,
        );
        ctx.signal.addEventListener("abort", () => wake?.());
        try {
          while (!ctx.signal.aborted) {
            const next = updates.shift();
            if (next) {
              await send(next);
              continue;
            }
            if (done) return;
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
          }
        } finally {
          clearTimeout(expiry);
        }
      } finally {
        watch.close();
        release();
      }
    }),
  };
}
