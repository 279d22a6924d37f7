/**
 * One person trying to log in: starts a verification, watches their phone, types the code after
 * a human delay, presses "resend" when impatient, starts over when it takes too long, and gives
 * up eventually. Every call's outcome is counted for the report.
 */
import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { StartVerificationRequest, type IssuanceServiceClient } from "@proto/otp/v1/issuance";
import { CheckCodeRequest, CheckResult, type VerificationServiceClient } from "@proto/otp/v1/verification";
import { callUnary } from "@platform/grpc/client";
import { decodeStatusDetails } from "@platform/grpc/status";
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
  /** Starts shed for load (OTP_OVERLOADED, or UNAVAILABLE). */
  shed: number;
  /** Starts refused by a limit (OTP_RATE_LIMITED: the tenant's rate, the resend cooldown…). */
  limited: number;
  /** Shed or limited answers that said when to come back (RetryInfo). */
  shedWithRetryInfo: number;
  /** Wall ms of each StartVerification answered OK, and of each shed or limited answer. */
  acceptedMs: number[];
  refusedMs: number[];
  /** Impatient taps ("didn't get it, again"), and those that made the platform send another code. */
  resends: number;
  resendsSent: number;
  wrongCodes: number;
  errors: Record<string, number>;
  /** The app opened a silent authorization URL; the network answered verified or not. */
  silentTried: boolean;
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
  /** An impatient tap asks for a new code (`resend_if_active`) instead of reusing the active one. */
  tapAsksNewCode: boolean;
  /** Share of users on mobile data (their app opens the silent authorization URL when given one). */
  mobileDataShare: number;
  now: () => number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function countError(out: UserOutcome, err: unknown): ServiceError | undefined {
  const e = err as ServiceError;
  const name = typeof e?.code === "number" ? (decodeStatusDetails(e).reason ?? GrpcStatus[e.code]) : "CLIENT";
  out.errors[name ?? "UNKNOWN"] = (out.errors[name ?? "UNKNOWN"] ?? 0) + 1;
  return typeof e?.code === "number" ? e : undefined;
}

/**
 * How long a well-behaved client waits after its n-th refusal in a row: exponential backoff with
 * full jitter, 1 s doubling to 16 s (scenario time), with the server's RetryInfo as the floor. A
 * rate limiter's RetryInfo names the moment the next request fits, the same for everyone waiting,
 * so clients that only obeyed it would come back together and be refused together.
 */
function backoffMs(n: number, scale: number): number {
  return Math.random() * Math.min(16, 2 ** n) * 1000 * scale;
}

/** What a start came to: a new verification, the active one again, the active one with a new code. */
type Started = "new" | "reused" | "resent" | "failed";

/** The silent authorization URL a start answered, for the app to open once the answer is in. */
const silentUrls = new WeakMap<UserOutcome, string>();

/** Starts (or restarts) a verification; retries shed answers after their RetryInfo. */
async function start(ctx: UserContext, out: UserOutcome, deadline: number, fresh: boolean): Promise<Started> {
  let refusals = 0;
  while (ctx.now() < deadline) {
    out.startCalls++;
    const sentAt = performance.now();
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
          mobileData: out.user.dataRoll < ctx.mobileDataShare,
        }),
      );
      if (res.silentAuthUrl !== "" && !res.reused) silentUrls.set(out, res.silentAuthUrl);
      out.acceptedMs.push(performance.now() - sentAt);
      // With resend_if_active, "reused" means the active verification got another code.
      if (res.reused && !fresh) out.reused++;
      const id = res.verification?.verificationId;
      if (id !== undefined && !out.verificationIds.includes(id)) out.verificationIds.push(id);
      return res.reused ? (fresh ? "resent" : "reused") : "new";
    } catch (err) {
      const e = countError(out, err);
      if (e?.code !== GrpcStatus.RESOURCE_EXHAUSTED && e?.code !== GrpcStatus.UNAVAILABLE) return "failed";
      out.refusedMs.push(performance.now() - sentAt);
      const { reason, retryAfterMs } = decodeStatusDetails(e);
      if (reason === "OTP_RATE_LIMITED") out.limited++;
      else out.shed++;
      if (retryAfterMs !== undefined) out.shedWithRetryInfo++;
      const waitMs = Math.max(retryAfterMs ?? 0, backoffMs(refusals++, ctx.scale), 50);
      if (ctx.now() + waitMs >= deadline) return "failed";
      await sleep(waitMs);
    }
  }
  return "failed";
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
    limited: 0,
    shedWithRetryInfo: 0,
    acceptedMs: [],
    refusedMs: [],
    resends: 0,
    resendsSent: 0,
    wrongCodes: 0,
    errors: {},
    silentTried: false,
  };
  const giveUpAt = arrivedAt + sec(b.giveUpAfterSeconds);
  if ((await start(ctx, out, giveUpAt, false)) === "failed") return out;
  const silentUrl = silentUrls.get(out);
  if (silentUrl !== undefined) await openSilentUrl(ctx, out, silentUrl);
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

/**
 * The app opens the silent authorization URL over its data session (the simulated network reads
 * the SIM and its district from headers) and follows the operator's redirect to the callback.
 */
async function openSilentUrl(ctx: UserContext, out: UserOutcome, url: string): Promise<void> {
  out.silentTried = true;
  const headers = { "x-simulated-device": out.user.phone, "x-simulated-district": out.user.district };
  try {
    const first = await fetch(url, { headers, redirect: "manual" });
    const callback = first.headers.get("location");
    await first.body?.cancel();
    if (first.status !== 302 || !callback) return;
    const answer = (await (await fetch(callback, { redirect: "manual" })).json()) as { result?: unknown };
    if (answer.result === "verified") {
      out.verifiedAt = ctx.now();
      out.verifiedBy = "silent";
    }
  } catch (err) {
    countError(out, err);
  }
}

/**
 * "Didn't get it? Send again": a repeated start, which the platform answers with the same
 * verification, or (a naive client) with another code for it.
 */
async function resend(ctx: UserContext, out: UserOutcome): Promise<void> {
  out.resends++;
  const started = await start(ctx, out, ctx.now() + 1, ctx.tapAsksNewCode);
  if (started === "new" || started === "resent") out.resendsSent++;
}
