/**
 * Past capacity: a second issuance service on the same platform with a small
 * ISSUANCE_MAX_IN_FLIGHT, flooded in open loop far above what it admits. What matters is how
 * fast the shed calls are answered (OTP_OVERLOADED, UNAVAILABLE + RetryInfo): a client told
 * at once can back off or go elsewhere; one told late has waited for nothing.
 */
import * as grpc from "@grpc/grpc-js";
import { IssuanceServiceClient, StartVerificationRequest } from "@proto/otp/v1/issuance";
import { createIssuanceApp } from "@services/issuance/src/app";
import { callUnary, createClient } from "@platform/grpc/client";
import { createGrpcServer } from "@platform/grpc/server";
import { createLogger } from "@platform/log";
import { admissionFromEnv } from "@platform/runtime/admission-from-env";
import { phoneNumbers } from "./bench-users";
import { openLoop, summarize, type LatencySummary } from "./load";
import { BENCH_TOKEN, GRANTS, type SmsPlatform } from "./sms-platform";

export interface SheddingOptions {
  maxInFlight: number;
  ratePerSec: number;
  seconds: number;
}

export interface SheddingResult {
  maxInFlight: number;
  offeredPerSec: number;
  /** Latency of the OTP_OVERLOADED answers, from each call's sending. */
  overloaded: LatencySummary;
  admitted: LatencySummary;
  otherErrors: number;
}

const OVERLOADED = /server overloaded/;

export async function benchShedding(h: SmsPlatform, o: SheddingOptions): Promise<SheddingResult> {
  const app = createIssuanceApp(h.platform, { retentionMs: 3_600_000 });
  const admission = admissionFromEnv({
    env: { ADMISSION_MAX_IN_FLIGHT: String(o.maxInFlight) },
    platform: h.platform,
    service: "bench-shedding",
    backlog: false,
  });
  const server = createGrpcServer({
    admission: admission.gate,
    address: "127.0.0.1:0",
    insecure: true,
    tokens: GRANTS,
    // Each shed call writes one warn line, as in production; it is dropped here, not printed.
    logger: createLogger({ level: "info", write: () => undefined }),
  });
  app.register(server); // WatchVerification is not used: its consumer is not started
  const { port } = await server.start();
  const client = createClient(IssuanceServiceClient, {
    address: `127.0.0.1:${port}`,
    insecure: true,
    token: BENCH_TOKEN,
    defaultDeadlineMs: 10_000,
  });
  const phones = phoneNumbers();
  const overloaded: number[] = [];
  const admitted: number[] = [];
  let otherErrors = 0;
  const start = async (): Promise<void> => {
    const t0 = performance.now();
    try {
      await callUnary(
        client,
        "startVerification",
        StartVerificationRequest.fromPartial({
          phone: phones(),
          purpose: "signup",
          districtHint: "ID-JK-JKS",
        }),
      );
      admitted.push(performance.now() - t0);
    } catch (err) {
      const e = err as grpc.ServiceError;
      if (e.code === grpc.status.UNAVAILABLE && OVERLOADED.test(e.details))
        overloaded.push(performance.now() - t0);
      else otherErrors++;
    }
  };
  try {
    await openLoop(200, 0.5, start); // warm-up
    overloaded.length = 0;
    admitted.length = 0;
    otherErrors = 0;
    const run = await openLoop(o.ratePerSec, o.seconds, start);
    return {
      maxInFlight: o.maxInFlight,
      offeredPerSec: o.ratePerSec,
      overloaded: summarize(overloaded, 0, run.seconds),
      admitted: summarize(admitted, 0, run.seconds),
      otherErrors,
    };
  } finally {
    client.close();
    await server.shutdown(1_000);
    await admission.close();
  }
}
