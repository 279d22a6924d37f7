/**
 * One person trying to log in: starts a verification, watches their phone, types the code after
 * a human delay, presses "resend" when impatient, starts over when it takes too long, and gives
 * up eventually. Every call's outcome is counted for the report.
 */
import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { StartVerificationRequest, type IssuanceServiceClient } from "../../../proto/gen/otp/v1/issuance";
import {
  CheckCodeRequest,
  CheckResult,
  type VerificationServiceClient,
} from "../../../proto/gen/otp/v1/verification";
import { callUnary } from "../../shared/src/grpc/client";
import { decodeStatusDetails } from "../../shared/src/grpc/status";
import type { Handsets } from "./handset";
import type { VirtualUser } from "./population";
import type { UserBehaviour } from "./scenario-file";

export interface UserOutcome {
  user: VirtualUser;
  verificationIds: string[];
  /** Wall-clock ms. */
  arrivedAt: number;
  verifiedAt: number | undefined;
  verifiedBy: string | undefined;
  startCalls: number;
  /** Starts answered with an existing verification: nothing new was sent. */
  reused: number;
  /** Starts refused for load (RESOURCE_EXHAUSTED / UNAVAILABLE). */
  shed: number;
  shedWithRetryInfo: number;
  resends: number;
  wrongCodes: number;
  errors: Record<string, number>;
}

export interface UserContext {
  issuance: IssuanceServiceClient;
  verification: VerificationServiceClient;
  handsets: Handsets;
  behaviour: UserBehaviour;
  purpose: string;
  locale: string;
  scale: number;
  /** Wall ms between looks at the phone. */
  pollMs: number;
  now: () => number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function countError(out: UserOutcome, err: unknown): ServiceError | undefined {
  const e = err as ServiceError;
  const name = typeof e?.code === "number" ? (decodeStatusDetails(e).reason ?? GrpcStatus[e.code]) : "CLIENT";
  out.errors[name ?? "UNKNOWN"] = (out.errors[name ?? "UNKNOWN"] ?? 0) + 1;
  return typeof e?.code === "number" ? e : undefined;
}

/** Starts (or restarts) a verification; retries shed answers after their RetryInfo. */
async function start(ctx: UserContext, out: UserOutcome, deadline: number, fresh: boolean): Promise<boolean> {
  while (ctx.now() < deadline) {
    out.startCalls++;
    try {
      const res = await callUnary(
        ctx.issuance,
        "startVerification",
        StartVerificationRequest.fromPartial({
          phone: out.user.phone,
          purpose: ctx.purpose,
          locale: ctx.locale,
          districtHint: out.user.district,
          resendIfActive: fresh,
        }),
      );
      if (res.reused) out.reused++;
      const id = res.verification?.verificationId;
      if (id !== undefined && !out.verificationIds.includes(id)) out.verificationIds.push(id);
      return true;
    } catch (err) {
      const e = countError(out, err);
      if (e?.code !== GrpcStatus.RESOURCE_EXHAUSTED && e?.code !== GrpcStatus.UNAVAILABLE) return false;
      out.shed++;
      const retryAfterMs = decodeStatusDetails(e).retryAfterMs;
      if (retryAfterMs !== undefined) out.shedWithRetryInfo++;
      await sleep(Math.max(retryAfterMs ?? 1_000 * ctx.scale, 50));
    }
  }
  return false;
}

export async function runUser(user: VirtualUser, ctx: UserContext): Promise<UserOutcome> {
  const sec = (s: number): number => s * 1000 * ctx.scale;
  const b = ctx.behaviour;
  const arrivedAt = ctx.now();
  const out: UserOutcome = {
    user,
    verificationIds: [],
    arrivedAt,
    verifiedAt: undefined,
    verifiedBy: undefined,
    startCalls: 0,
    reused: 0,
    shed: 0,
    shedWithRetryInfo: 0,
    resends: 0,
    wrongCodes: 0,
    errors: {},
  };
  const giveUpAt = arrivedAt + sec(b.giveUpAfterSeconds);
  if (!(await start(ctx, out, giveUpAt, false))) return out;
  let requestedAt = ctx.now();
  let restartedAt = requestedAt;
  let restarts = 0;
  let resends = 0;
  const tried = new Set<string>();
  while (ctx.now() < giveUpAt && out.verifiedAt === undefined) {
    const seen = ctx.handsets.latestCode(user.phone, new Set(out.verificationIds));
    if (seen && !tried.has(seen.code)) {
      tried.add(seen.code);
      await sleep(sec(user.typingSeconds));
      const id = out.verificationIds[out.verificationIds.length - 1] ?? "";
      try {
        const res = await callUnary(
          ctx.verification,
          "checkCode",
          CheckCodeRequest.fromPartial({ target: { $case: "verificationId", value: id }, code: seen.code }),
        );
        if (res.result === CheckResult.CHECK_RESULT_VERIFIED) {
          out.verifiedAt = ctx.now();
          out.verifiedBy = seen.channel;
        } else out.wrongCodes++;
      } catch (err) {
        countError(out, err);
      }
      continue;
    }
    const now = ctx.now();
    if (
      b.restartAfterSeconds > 0 &&
      restarts < b.maxRestarts &&
      now - restartedAt >= sec(b.restartAfterSeconds)
    ) {
      restarts++;
      restartedAt = requestedAt = now;
      await start(ctx, out, giveUpAt, true);
    } else if (
      b.resendAfterSeconds > 0 &&
      resends < b.maxResends &&
      now - requestedAt >= sec(b.resendAfterSeconds)
    ) {
      resends++;
      requestedAt = now;
      await resend(ctx, out);
    }
    await sleep(ctx.pollMs);
  }
  return out;
}

/** "Didn't get it? Send again": a repeated start, which the platform answers with the same verification. */
async function resend(ctx: UserContext, out: UserOutcome): Promise<void> {
  out.resends++;
  await start(ctx, out, ctx.now() + 1, false);
}
