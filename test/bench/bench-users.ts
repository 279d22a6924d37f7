/**
 * The simulated users of the end-to-end bench: each starts a verification for its own phone
 * number, waits for the SMS on its handset (the SMSC simulator), reads the code and checks it.
 * Every step is timed on one clock (performance.now() of the load generator; the deployed
 * bench converts the simulator's arrival times to it).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { StartVerificationRequest } from "@proto/otp/v1/issuance";
import { CheckCodeRequest, CheckResult } from "@proto/otp/v1/verification";
import type { IssuanceServiceClient } from "@proto/otp/v1/issuance";
import type { VerificationServiceClient } from "@proto/otp/v1/verification";
import { callUnary } from "@platform/grpc/client";

export interface Handset {
  /** performance.now() when the submit_sm reached the simulator. */
  at: number;
  code: string;
}

/** Stage timings in ms, one entry per completed step. */
export interface StageTimes {
  start: number[];
  acceptToSubmit: number[];
  check: number[];
  lifecycle: number[];
  errors: Record<string, number>;
}

export const emptyStages = (): StageTimes => ({
  start: [],
  acceptToSubmit: [],
  check: [],
  lifecycle: [],
  errors: {},
});

export interface Started {
  id: string;
  /** performance.now() when the answer arrived. */
  answeredAt: number;
  sms: Promise<Handset>;
}

export interface BenchUsers {
  /** StartVerification for a new phone; the SMS promise rejects after smsTimeoutMs. */
  start(stages: StageTimes): Promise<Started>;
  check(id: string, code: string, stages: StageTimes): Promise<void>;
  /** start → SMS on the handset (and its receipt generated) → CheckCode. */
  lifecycle(stages: StageTimes): Promise<void>;
  /** Stops listening to the handsets. */
  close(): void;
}

/** Where users call the platform and how their handsets hear of an SMS. */
export interface UserEndpoints {
  issuance(): IssuanceServiceClient;
  verification(): VerificationServiceClient;
  /** Calls `listener` for every SMS a handset receives, with performance.now() at the SMSC. */
  onHandset(listener: (sms: { phone: string; text: string }, at: number) => void): () => void;
}

const SMS_TIMEOUT_MS = 30_000;
const CODE_IN_TEXT = /\b(\d{4,10})\b/;

/** `smsTimeoutMs`: how long a user waits for the SMS before counting the start as lost. */
export function createBenchUsers(platform: UserEndpoints, smsTimeoutMs = SMS_TIMEOUT_MS): BenchUsers {
  const issuance = platform.issuance();
  const verification = platform.verification();
  const phones = phoneNumbers();
  const waiting = new Map<string, (h: Handset) => void>();
  const stopListening = platform.onHandset((part, at) => {
    const deliver = waiting.get(part.phone);
    if (!deliver) return;
    waiting.delete(part.phone);
    deliver({ at, code: CODE_IN_TEXT.exec(part.text)?.[1] ?? "" });
  });

  const expectSms = (digits: string): { sms: Promise<Handset>; cancel: () => void } => {
    let timer: NodeJS.Timeout | undefined;
    const sms = new Promise<Handset>((resolve, reject) => {
      timer = setTimeout(() => {
        waiting.delete(digits);
        reject(new Error("no SMS within the timeout"));
      }, smsTimeoutMs);
      waiting.set(digits, (h) => {
        clearTimeout(timer);
        resolve(h);
      });
    });
    sms.catch(() => undefined); // a caller that gives up on the start does not wait for it
    return {
      sms,
      cancel: () => {
        clearTimeout(timer);
        waiting.delete(digits);
      },
    };
  };

  const fail = (stages: StageTimes, stage: string, err: unknown): never => {
    const detail = (err as { details?: string }).details ?? (err as Error).message ?? String(err);
    // One key per kind of failure: grpc-js appends timings and addresses to its details.
    const kind = detail.split(",")[0]!.replace(/\d+(\.\d+)?/g, "N");
    const key = `${stage}: ${kind.slice(0, 80)}`;
    stages.errors[key] = (stages.errors[key] ?? 0) + 1;
    throw err;
  };

  const start = async (stages: StageTimes): Promise<Started> => {
    const phone = phones();
    const { sms, cancel } = expectSms(phone.slice(1));
    const t0 = performance.now();
    const res = await callUnary(
      issuance,
      "startVerification",
      StartVerificationRequest.fromPartial({ phone, purpose: "signup", districtHint: "ID-JK-JKS" }),
    ).catch((err: unknown) => {
      cancel();
      return fail(stages, "start", err);
    });
    const answeredAt = performance.now();
    stages.start.push(answeredAt - t0);
    const id = res.verification?.verificationId ?? "";
    return { id, answeredAt, sms };
  };

  const check = async (id: string, code: string, stages: StageTimes): Promise<void> => {
    const t0 = performance.now();
    const res = await callUnary(
      verification,
      "checkCode",
      CheckCodeRequest.fromPartial({ target: { $case: "verificationId", value: id }, code }),
    ).catch((err: unknown) => fail(stages, "check", err));
    if (res.result !== CheckResult.CHECK_RESULT_VERIFIED)
      fail(stages, "check", new Error(`result ${res.result}`));
    stages.check.push(performance.now() - t0);
  };

  return {
    start,
    check,
    async lifecycle(stages) {
      const t0 = performance.now();
      const started = await start(stages);
      const handset = await started.sms.catch((err: unknown) => fail(stages, "sms", err));
      stages.acceptToSubmit.push(handset.at - started.answeredAt);
      // The simulator sends the receipt on the next turn of the event loop: read after it.
      await sleep(0);
      await check(started.id, handset.code, stages);
      stages.lifecycle.push(performance.now() - t0);
    },
    close: stopListening,
  };
}

/**
 * Distinct Indonesian mobile numbers spread over the 0812 block, like real traffic (one
 * prefix would meet the per-prefix limit): an odd multiplier not divisible by 5 walks all
 * 10^8 subscriber numbers before repeating one.
 */
export function phoneNumbers(): () => string {
  let n = 0;
  const offset = Math.floor(Math.random() * 1e8);
  return () => `+62812${String((offset + n++ * 48_271) % 1e8).padStart(8, "0")}`;
}
