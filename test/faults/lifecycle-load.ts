/**
 * Whole lifecycles under load, for failover tests: each virtual user starts a verification
 * (retrying with its idempotency key), waits for the code on its handset and checks it
 * (retrying what the server says is retryable), as a careful client would. Every error a client
 * sees is kept with its time, its status and whether it carried RetryInfo, so a test can tell
 * what a failover cost without asserting on time.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { StartVerificationRequest } from "@proto/otp/v1/issuance";
import { CheckCodeRequest, CheckResult } from "@proto/otp/v1/verification";
import { callUnary } from "@platform/grpc/client";
import { decodeStatusDetails } from "@platform/grpc/status";
import type { PlatformStack } from "./fault-stack";
import { codeOnHandset, phoneFactory, RETRYABLE } from "./load";

export interface ClientError {
  at: number;
  op: "start" | "check";
  status: string;
  retryInfo: boolean;
  /** "overloaded" for a refusal by admission. */
  why?: string;
}

export type LifecycleEnd =
  | "verified"
  /** A check was consumed but its answer lost (the client saw an error, then ALREADY_USED). */
  | "consumed-unanswered"
  | "never-started"
  | "no-code"
  | "check-failed";

export interface Lifecycle {
  verificationId: string | undefined;
  phone: string;
  end: LifecycleEnd;
  /** VERIFIED answers this user got (more than one would break single use). */
  successes: number;
  /** The last answer or error of its check, for failure messages. */
  answer?: string;
}

export interface LifecycleLoad {
  users: Lifecycle[];
  errors: ClientError[];
}

export function grpcStatusOf(err: unknown): { status: string; retryInfo: boolean; why?: string } {
  const e = err as Partial<ServiceError>;
  if (e.code === undefined || e.metadata === undefined)
    return { status: `not gRPC: ${String(err)}`, retryInfo: false };
  const decoded = decodeStatusDetails(e as ServiceError);
  // A refusal by admission (load shedding) reads differently from a dependency being away.
  const why = /overloaded/.test(e.details ?? "") ? "overloaded" : "";
  return {
    status: GrpcStatus[e.code] ?? String(e.code),
    retryInfo: decoded.retryAfterMs !== undefined,
    ...(why ? { why } : {}),
  };
}

/** Calls `call` until it answers or fails with a status no client retries; errors go to `errors`. */
async function retrying<T>(
  op: ClientError["op"],
  errors: ClientError[],
  giveUpAt: number,
  call: () => Promise<T>,
  /** This call's own errors, besides the shared list. */
  own: ClientError[] = [],
): Promise<{ value: T; failedBefore: number } | undefined> {
  for (let failedBefore = 0; ; failedBefore++) {
    try {
      return { value: await call(), failedBefore };
    } catch (err) {
      const seen = grpcStatusOf(err);
      const error = { at: Date.now(), op, ...seen };
      errors.push(error);
      own.push(error);
      if (!RETRYABLE.has(seen.status) || Date.now() > giveUpAt) return undefined;
      await sleep(250);
    }
  }
}

async function oneLifecycle(
  stack: PlatformStack,
  phone: string,
  errors: ClientError[],
  giveUpMs: number,
): Promise<Lifecycle> {
  const giveUpAt = Date.now() + giveUpMs;
  const request = StartVerificationRequest.fromPartial({
    phone,
    purpose: "login",
    locale: "id",
    districtHint: "ID-JK-JKS",
    idempotencyKey: randomUUID(),
  });
  const started = await retrying("start", errors, giveUpAt, () =>
    callUnary(stack.issuance, "startVerification", request, { deadlineMs: 5_000 }),
  );
  const verificationId = started?.value.verification?.verificationId;
  if (!verificationId) return { verificationId, phone, end: "never-started", successes: 0 };
  let code: string | undefined;
  while (!(code = codeOnHandset(stack, phone)) && Date.now() < giveUpAt) await sleep(200);
  if (!code) return { verificationId, phone, end: "no-code", successes: 0 };
  const checkErrors: ClientError[] = [];
  const checked = await retrying(
    "check",
    errors,
    giveUpAt,
    () =>
      callUnary(
        stack.verification,
        "checkCode",
        CheckCodeRequest.fromPartial({ target: { $case: "verificationId", value: verificationId }, code }),
        { deadlineMs: 5_000 },
      ),
    checkErrors,
  );
  const result = checked?.value.result;
  if (result === CheckResult.CHECK_RESULT_VERIFIED)
    return { verificationId, phone, end: "verified", successes: 1 };
  if (result === CheckResult.CHECK_RESULT_ALREADY_USED && (checked?.failedBefore ?? 0) > 0)
    return { verificationId, phone, end: "consumed-unanswered", successes: 0 };
  const lastError = checkErrors.at(-1);
  const answer = checked
    ? `answered ${CheckResult[result ?? 0]}`
    : `gave up after ${lastError?.status ?? "no answer"}`;
  return { verificationId, phone, end: "check-failed", successes: 0, answer };
}

/** `count` lifecycles begun at `perSecond` (open loop) while `during` runs the fault. */
export async function runLifecycles(
  stack: PlatformStack,
  opts: { count: number; perSecond: number; giveUpMs?: number; during?: () => Promise<void> },
): Promise<LifecycleLoad> {
  const newPhone = phoneFactory("+62813");
  const errors: ClientError[] = [];
  const users: Promise<Lifecycle>[] = [];
  const fault = opts.during?.();
  for (let i = 0; i < opts.count; i++) {
    users.push(oneLifecycle(stack, newPhone(), errors, opts.giveUpMs ?? 120_000));
    await sleep(1_000 / opts.perSecond);
  }
  const [done] = await Promise.all([Promise.all(users), fault]);
  return { users: done, errors };
}

export interface FailoverCost {
  /** From the kill to the last error any client saw (0: none). */
  errorsForMs: number;
  errors: number;
  withRetryInfo: number;
  byStatus: Record<string, number>;
}

/** What the clients paid for a fault that began at `faultAt`. */
export function failoverCost(errors: readonly ClientError[], faultAt: number): FailoverCost {
  const after = errors.filter((e) => e.at >= faultAt);
  const byStatus: Record<string, number> = {};
  for (const e of after) {
    const key = `${e.op} ${e.status}${e.why ? ` (${e.why})` : ""}`;
    byStatus[key] = (byStatus[key] ?? 0) + 1;
  }
  return {
    errorsForMs: after.length === 0 ? 0 : Math.max(...after.map((e) => e.at)) - faultAt,
    errors: after.length,
    withRetryInfo: after.filter((e) => e.retryInfo).length,
    byStatus,
  };
}
