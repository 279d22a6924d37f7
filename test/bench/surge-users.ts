/**
 * The people of the surge bench. A fan taps "send code": when refused they come back after the
 * RetryInfo delay with jitter (a few times, then give up); once accepted, they tap again when
 * the SMS is slow (the same StartVerification: the platform must answer with the same
 * verification and send nothing new), then type the code. A calm tenant's user does the same
 * without the surge. Every SMS is counted per phone, so a second one for a phone is a duplicate.
 */
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import { StartVerificationRequest, type IssuanceServiceClient } from "@proto/otp/v1/issuance";
import { CheckCodeRequest, CheckResult, type VerificationServiceClient } from "@proto/otp/v1/verification";
import { callUnary } from "@platform/grpc/client";
import { decodeStatusDetails } from "@platform/grpc/status";

export interface SurgeTally {
  /** Latencies (ms) of StartVerification answers: accepted, and refused for load. */
  accepted: number[];
  refused: number[];
  refusedWithRetryInfo: number;
  /** Impatient taps, and those answered with the same verification (`reused`). */
  taps: number;
  tapsReused: number;
  gaveUp: number;
  /** Accepted starts whose SMS never came. */
  lost: number;
  /** Arrival → SMS at the handset (ms), for admitted users. */
  timeToCode: number[];
  check: number[];
  errors: Record<string, number>;
}

export const emptyTally = (): SurgeTally => ({
  accepted: [],
  refused: [],
  refusedWithRetryInfo: 0,
  taps: 0,
  tapsReused: 0,
  gaveUp: 0,
  lost: 0,
  timeToCode: [],
  check: [],
  errors: {},
});

export interface UserBehaviour {
  /** Refusals a user takes before giving up. */
  maxRetries: number;
  /** Tap again after this long without the SMS (0: never). */
  impatientMs: number;
  smsTimeoutMs: number;
}

export interface Handsets {
  /**
   * The first SMS to this phone (E.164) not yet read, even one that came before the call, or
   * undefined after the timeout.
   */
  next(phone: string, timeoutMs: number): Promise<{ at: number; code: string } | undefined>;
  /** SMS beyond the first per phone: sends a repeated tap must not have caused. */
  duplicates(): number;
  close(): void;
}

const CODE_IN_TEXT = /\b(\d{4,10})\b/;

export function watchHandsets(
  onHandset: (listener: (sms: { phone: string; text: string }, at: number) => void) => () => void,
): Handsets {
  const counts = new Map<string, number>();
  const waiting = new Map<string, (sms: { at: number; code: string }) => void>();
  // An SMS can reach the handset before its StartVerification answer reaches the user (the
  // pipeline is quicker than an answer held up under load): it waits here for `next`.
  const unread = new Map<string, { at: number; code: string }>();
  const stop = onHandset((sms, at) => {
    counts.set(sms.phone, (counts.get(sms.phone) ?? 0) + 1);
    const received = { at, code: CODE_IN_TEXT.exec(sms.text)?.[1] ?? "" };
    const deliver = waiting.get(sms.phone);
    waiting.delete(sms.phone);
    if (deliver) deliver(received);
    else if (!unread.has(sms.phone)) unread.set(sms.phone, received);
  });
  return {
    async next(phone, timeoutMs) {
      const digits = phone.slice(1);
      const early = unread.get(digits);
      if (early !== undefined) {
        unread.delete(digits);
        return early;
      }
      const timer = sleep(timeoutMs).then(() => undefined);
      const sms = new Promise<{ at: number; code: string }>((resolve) => waiting.set(digits, resolve));
      const got = await Promise.race([sms, timer]);
      if (got === undefined) waiting.delete(digits);
      return got;
    },
    duplicates: () => [...counts.values()].reduce((n, c) => n + Math.max(0, c - 1), 0),
    close: stop,
  };
}

export interface Endpoints {
  /** A client for the next call: a tenant's backend spreads its calls over a few connections. */
  issuance: () => IssuanceServiceClient;
  verification: VerificationServiceClient;
  handsets: Handsets;
}

const count = (t: SurgeTally, key: string): void => void (t.errors[key] = (t.errors[key] ?? 0) + 1);

const request = (phone: string) =>
  StartVerificationRequest.fromPartial({ phone, purpose: "signup", districtHint: "ID-JK-JKS" });

/** One user: start (honouring refusals), maybe tap again, read the code, check it. */
export async function surgeUser(e: Endpoints, phone: string, b: UserBehaviour, t: SurgeTally): Promise<void> {
  const arrivedAt = performance.now();
  let id: string | undefined;
  for (let attempt = 0; id === undefined; attempt++) {
    const t0 = performance.now();
    try {
      const res = await callUnary(e.issuance(), "startVerification", request(phone));
      t.accepted.push(performance.now() - t0);
      id = res.verification?.verificationId ?? "";
    } catch (err) {
      const ms = performance.now() - t0;
      const se = err as grpc.ServiceError;
      if (se.code !== grpc.status.UNAVAILABLE && se.code !== grpc.status.RESOURCE_EXHAUSTED) {
        count(t, `start: ${grpc.status[se.code] ?? "client"}`);
        return;
      }
      t.refused.push(ms);
      const { retryAfterMs } = decodeStatusDetails(se);
      if (retryAfterMs !== undefined) t.refusedWithRetryInfo++;
      if (attempt >= b.maxRetries) {
        t.gaveUp++;
        return;
      }
      // RetryInfo is the floor; jitter spreads a crowd refused together.
      await sleep((retryAfterMs ?? 1_000) * (1 + Math.random()));
    }
  }
  const sms = await waitForCode(e, phone, b, t);
  if (sms === undefined) {
    t.lost++;
    return;
  }
  t.timeToCode.push(sms.at - arrivedAt);
  const t0 = performance.now();
  try {
    const res = await callUnary(
      e.verification,
      "checkCode",
      CheckCodeRequest.fromPartial({ target: { $case: "verificationId", value: id }, code: sms.code }),
    );
    if (res.result === CheckResult.CHECK_RESULT_VERIFIED) t.check.push(performance.now() - t0);
    else count(t, `check: result ${res.result}`);
  } catch (err) {
    count(t, `check: ${grpc.status[(err as grpc.ServiceError).code] ?? "client"}`);
  }
}

async function waitForCode(
  e: Endpoints,
  phone: string,
  b: UserBehaviour,
  t: SurgeTally,
): Promise<{ at: number; code: string } | undefined> {
  const waiting = e.handsets.next(phone, b.smsTimeoutMs);
  if (b.impatientMs > 0) {
    const early = await Promise.race([waiting, sleep(b.impatientMs).then(() => "slow" as const)]);
    if (early !== "slow") return early;
    t.taps++;
    try {
      const res = await callUnary(e.issuance(), "startVerification", request(phone));
      if (res.reused) t.tapsReused++;
    } catch {
      // A refused tap sends nothing either: the user keeps waiting for the first code.
    }
  }
  return waiting;
}
