/**
 * Load for fault tests: an open-loop stream of StartVerification calls (each retried with its
 * idempotency key until accepted or given up, as a careful client would), and the end of each
 * story: the code is read from the simulated handset and checked.
 */
import { randomInt, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { Channel, VerificationStatus } from "@proto/otp/v1/common";
import { StartVerificationRequest } from "@proto/otp/v1/issuance";
import { CheckCodeRequest, CheckResult } from "@proto/otp/v1/verification";
import { inboxOf } from "@services/all-in-one/src/inbox-server";
import { callUnary } from "@platform/grpc/client";
import type { PlatformStack } from "./fault-stack";

export interface Accepted {
  verificationId: string;
  phone: string;
  /** Errors answered before the start was accepted (the fault showing through). */
  errorsBefore: number;
}

export interface LoadResult {
  accepted: Accepted[];
  /** Starts never accepted within the give-up time: the caller got an error each time. */
  refused: number;
  /** gRPC status names seen, with counts: every failure must be a clear, retryable status. */
  statuses: Map<string, number>;
}

/** A phone of its own per verification, so inbox counts belong to one verification. */
export function phoneFactory(prefix = "+62812"): () => string {
  let next = randomInt(10_000_000, 90_000_000);
  return () => `${prefix}${next++}`;
}

/** What a client may retry; anything else is the answer. */
export const RETRYABLE = new Set(["UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED", "ABORTED"]);

const statusName = (err: unknown): string => {
  const code = (err as Partial<ServiceError>).code;
  return code === undefined ? `not a gRPC error: ${String(err)}` : (GrpcStatus[code] ?? String(code));
};

export interface LoadOptions {
  count: number;
  perSecond: number;
  /** How long a client keeps retrying one start. */
  giveUpMs?: number;
  districtHint?: string;
  /** The numbers' first digits, "+" included (default +62812): a district of the simulators. */
  phonePrefix?: string;
  /** Default "login". */
  purpose?: string;
  channelPreference?: Channel;
  /** The fault, run alongside the load. */
  during?: () => Promise<void>;
}

async function startOne(
  stack: PlatformStack,
  phone: string,
  opts: LoadOptions,
  statuses: Map<string, number>,
): Promise<Accepted | undefined> {
  const request = StartVerificationRequest.fromPartial({
    phone,
    purpose: opts.purpose ?? "login",
    locale: "id",
    districtHint: opts.districtHint ?? "ID-JK-JKS",
    channelPreference: opts.channelPreference ?? Channel.CHANNEL_UNSPECIFIED,
    idempotencyKey: randomUUID(),
  });
  const giveUpAt = Date.now() + (opts.giveUpMs ?? 60_000);
  for (let errorsBefore = 0; ; errorsBefore++) {
    try {
      const res = await callUnary(stack.issuance, "startVerification", request, { deadlineMs: 5_000 });
      return { verificationId: res.verification!.verificationId, phone, errorsBefore };
    } catch (err) {
      const name = statusName(err);
      statuses.set(name, (statuses.get(name) ?? 0) + 1);
      if (!RETRYABLE.has(name) || Date.now() > giveUpAt) return undefined;
      await sleep(250);
    }
  }
}

/** `count` starts at `perSecond` (open loop), each retried until accepted or given up. */
export async function runLoad(stack: PlatformStack, opts: LoadOptions): Promise<LoadResult> {
  const newPhone = phoneFactory(opts.phonePrefix);
  const statuses = new Map<string, number>();
  const calls: Promise<Accepted | undefined>[] = [];
  const fault = opts.during?.();
  for (let i = 0; i < opts.count; i++) {
    calls.push(startOne(stack, newPhone(), opts, statuses));
    await sleep(1_000 / opts.perSecond);
  }
  const [results] = await Promise.all([Promise.all(calls), fault]);
  const accepted = results.filter((r): r is Accepted => r !== undefined);
  return { accepted, refused: results.length - accepted.length, statuses };
}

/** The newest code the handset received, whatever the channel (voice reads it digit by digit). */
export function codeOnHandset(stack: PlatformStack, phone: string): string | undefined {
  for (const message of inboxOf(stack.app.simulators, phone)) {
    const plain = /\b(\d{6})\b/.exec(message.text)?.[1];
    if (plain) return plain;
    const spoken = /((?:\d[ ,.]+){5}\d)/.exec(message.text)?.[1];
    if (spoken) return spoken.replace(/\D/g, "");
  }
  return undefined;
}

async function settleOne(stack: PlatformStack, v: Accepted, deadline: number): Promise<string> {
  let lastError = "no code on the handset";
  // At least one look, also when other verifications used up the time.
  for (let first = true; first || Date.now() < deadline; first = false) {
    const code = codeOnHandset(stack, v.phone);
    if (code) {
      try {
        const checked = await callUnary(
          stack.verification,
          "checkCode",
          CheckCodeRequest.fromPartial({
            target: { $case: "verificationId", value: v.verificationId },
            code,
          }),
        );
        // ALREADY_USED: an earlier check succeeded but its answer was lost to the fault.
        if (
          checked.result === CheckResult.CHECK_RESULT_VERIFIED ||
          checked.result === CheckResult.CHECK_RESULT_ALREADY_USED
        )
          return "checked";
        lastError = `check answered ${CheckResult[checked.result]}`;
      } catch (err) {
        lastError = `check failed: ${statusName(err)}`;
      }
    }
    await sleep(300);
  }
  return lastError;
}

/**
 * Every accepted verification: code read from its handset and checked. Returns the ones that
 * could not be, with why (empty when all were).
 */
export async function verifyAll(
  stack: PlatformStack,
  accepted: readonly Accepted[],
  timeoutMs = 90_000,
): Promise<Map<string, string>> {
  const deadline = Date.now() + timeoutMs;
  const failures = new Map<string, string>();
  const queue = [...accepted];
  const worker = async (): Promise<void> => {
    for (let v = queue.shift(); v; v = queue.shift()) {
      const outcome = await settleOne(stack, v, deadline);
      if (outcome !== "checked") failures.set(v.verificationId, outcome);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return failures;
}

/** The status GetVerification reports now. */
export async function statusOf(stack: PlatformStack, verificationId: string): Promise<string> {
  const res = await callUnary(stack.issuance, "getVerification", { verificationId });
  return VerificationStatus[res.verification!.status].replace("VERIFICATION_STATUS_", "");
}

/** Polls `condition` every 200 ms; on timeout fails naming `what`, followed by `detail()`. */
export async function eventually(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
  detail?: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`not within ${timeoutMs} ms: ${what}${detail ? `\n${detail()}` : ""}`);
    }
    await sleep(200);
  }
}
