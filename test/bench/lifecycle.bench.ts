/**
 * StartVerification and CheckCode over real gRPC, Kafka and Redis, in one process with the
 * services (so the figures include the load generator's own CPU on the same cores).
 */
import { StartVerificationRequest } from "../../proto/gen/otp/v1/issuance";
import { CheckCodeRequest, CheckResult } from "../../proto/gen/otp/v1/verification";
import { callUnary } from "../../services/shared/src/grpc/client";
import { TOKENS, startLifecycle } from "../integration/lifecycle-harness";
import { closedLoop, openLoop, type LatencySummary } from "./load";

export interface LifecycleBenchOptions {
  startTotal: number;
  concurrency: number;
  openRate: number;
  openSeconds: number;
}

export async function benchLifecycle(o: LifecycleBenchOptions): Promise<Record<string, LatencySummary>> {
  const h = await startLifecycle();
  try {
    const issuance = h.issuance(TOKENS.bench);
    const verification = h.verification(TOKENS.bench);
    // Spread over the 0812 block like real traffic (one prefix would meet the prefix limits).
    const phone = () => `+62812${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;
    const ids: string[] = [];
    const start = async () => {
      const res = await callUnary(
        issuance,
        "startVerification",
        StartVerificationRequest.fromPartial({
          phone: phone(),
          purpose: "signup",
          districtHint: "ID-JK-JKS",
        }),
      );
      ids.push(res.verification!.verificationId);
    };
    // Warm up connections, JIT and script caches.
    await closedLoop(200, 16, start);
    const startClosed = await closedLoop(o.startTotal, o.concurrency, start);
    const startOpen = await openLoop(o.openRate, o.openSeconds, start);

    const codes = await Promise.all(ids.map((id) => h.codeOf(id)));
    const check = (i: number) =>
      callUnary(
        verification,
        "checkCode",
        CheckCodeRequest.fromPartial({ target: { $case: "verificationId", value: ids[i] }, code: codes[i] }),
      ).then((r) => {
        if (r.result !== CheckResult.CHECK_RESULT_VERIFIED) throw new Error(`check ${r.result}`);
      });
    const half = Math.floor(ids.length / 2);
    const checkClosed = await closedLoop(half, o.concurrency, check);
    let j = half;
    const checkOpen = await openLoop(
      o.openRate,
      Math.min(o.openSeconds, (ids.length - half) / o.openRate),
      () => check(j++),
    );
    return {
      [`StartVerification closed loop (${o.concurrency} callers)`]: startClosed,
      [`StartVerification open loop ${o.openRate}/s`]: startOpen,
      [`CheckCode closed loop (${o.concurrency} callers)`]: checkClosed,
      [`CheckCode open loop ${o.openRate}/s`]: checkOpen,
    };
  } finally {
    await h.close();
  }
}
