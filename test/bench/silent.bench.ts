/**
 * Silent network verification under load: the all-in-one platform (on the bench's Kafka and
 * Redis) with the Open Gateway simulator. A share of the users is on mobile data: their app opens
 * the authorization URL and the network verifies them; the others get the code by WhatsApp and
 * type it. Reports how many were verified silently, time to verified for each path, and what the
 * SMS those users did not need would have cost.
 */
import { randomBytes } from "node:crypto";
import { CheckCodeRequest, CheckResult, VerificationServiceClient } from "@proto/otp/v1/verification";
import { IssuanceServiceClient, StartVerificationRequest } from "@proto/otp/v1/issuance";
import { DEV_TOKENS } from "@platform/development/tokens";
import { type AllInOne, createAllInOne } from "@services/all-in-one/src/all-in-one";
import { inboxOf } from "@services/all-in-one/src/inbox-server";
import { callUnary, createClient } from "@platform/grpc/client";
import { createGrpcServer } from "@platform/grpc/server";
import { freshEventKeysVariable } from "@platform/crypto/event-keys";
import { EVENT_ROLES } from "@domain/events/ownership";
import { platformFromEnv } from "@platform/runtime/platform";
import { testPorts } from "../support/all-in-one-ports";

export interface SilentBenchSettings {
  users: number;
  /** Share (0..1) of users on mobile data. */
  mobileDataShare: number;
  concurrency: number;
  /** Price of one SMS, for what silent verification saved. */
  smsPrice: number;
}

export interface SilentBenchResult {
  users: number;
  mobileDataShare: number;
  verifiedSilently: number;
  verifiedByCode: number;
  notVerified: number;
  silentP50Ms: number;
  silentP99Ms: number;
  codeP50Ms: number;
  codeP99Ms: number;
  smsCostSaved: number;
}

const percentile = (sorted: number[], p: number): number =>
  sorted.length === 0
    ? 0
    : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0);

export async function benchSilent(s: SilentBenchSettings): Promise<SilentBenchResult> {
  const prefix = `bench-silent-${Date.now()}-`;
  const platform = await platformFromEnv({
    events: EVENT_ROLES["all-in-one"],
    service: "bench-silent",
    env: {
      ...process.env,
      OTP_TOPIC_PREFIX: prefix,
      OTP_STORE_PREFIX: `${prefix}:`,
      LOG_LEVEL: "warn",
      OTP_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
      OTP_CODE_HASH_SECRET: randomBytes(32).toString("base64"),
      OTP_EVENT_KEYS: freshEventKeysVariable(),
    },
    logWrite: () => undefined,
  });
  const server = createGrpcServer({
    address: "127.0.0.1:0",
    insecure: true,
    tokens: DEV_TOKENS,
    logger: platform.logger,
  });
  const app = await createAllInOne(platform, server, {
    host: "127.0.0.1",
    ports: await testPorts(),
    retentionMs: 3_600_000,
    groupPrefix: prefix,
  });
  await app.start();
  const address = `127.0.0.1:${(await server.start()).port}`;
  const options = {
    address,
    insecure: true as const,
    token: DEV_TOKENS[0]!.token,
    defaultDeadlineMs: 10_000,
  };
  const issuance = createClient(IssuanceServiceClient, options);
  const verification = createClient(VerificationServiceClient, options);
  const silentMs: number[] = [];
  const codeMs: number[] = [];
  let notVerified = 0;

  const user = async (i: number): Promise<void> => {
    const verified = await verifyUser({ s, issuance, verification, app }, i);
    if (verified?.how === "silent") silentMs.push(verified.ms);
    else if (verified?.how === "code") codeMs.push(verified.ms);
    else notVerified++;
  };

  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: s.concurrency }, async () => {
        while (next < s.users) await user(next++).catch(() => void notVerified++);
      }),
    );
  } finally {
    issuance.close();
    verification.close();
    await server.shutdown(500);
    await app.stop();
    await platform.close();
  }
  silentMs.sort((a, b) => a - b);
  codeMs.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    users: s.users,
    mobileDataShare: s.mobileDataShare,
    verifiedSilently: silentMs.length,
    verifiedByCode: codeMs.length,
    notVerified,
    silentP50Ms: round(percentile(silentMs, 50)),
    silentP99Ms: round(percentile(silentMs, 99)),
    codeP50Ms: round(percentile(codeMs, 50)),
    codeP99Ms: round(percentile(codeMs, 99)),
    smsCostSaved: Math.round(silentMs.length * s.smsPrice * 10_000) / 10_000,
  };
}

interface BenchUsers {
  s: SilentBenchSettings;
  issuance: IssuanceServiceClient;
  verification: VerificationServiceClient;
  app: AllInOne;
}

/**
 * One user: starts a silent verification, follows the operator's redirect when on mobile data,
 * else types the code that arrives; how it was verified and how long it took, if it was.
 */
async function verifyUser(
  { s, issuance, verification, app }: BenchUsers,
  i: number,
): Promise<{ how: "silent" | "code"; ms: number } | undefined> {
  // Spread over destination prefixes: the per-prefix send limit is a fraud rule, not the subject.
  const phone = `+62812${String(i % 100).padStart(2, "0")}${String(100_000 + Math.floor(i / 100)).slice(-5)}`;
  const onData = (Math.imul(i + 1, 2654435761) >>> 0) / 2 ** 32 < s.mobileDataShare;
  const t0 = performance.now();
  const started = await callUnary(
    issuance,
    "startVerification",
    StartVerificationRequest.fromPartial({
      phone,
      purpose: "login_silent",
      districtHint: "ID-JK-JKS",
      mobileData: onData,
    }),
  );
  if (started.silentAuthUrl) {
    const first = await fetch(started.silentAuthUrl, {
      headers: { "x-simulated-device": phone },
      redirect: "manual",
    });
    const callback = first.headers.get("location") ?? "";
    const answer = (await (await fetch(callback)).json()) as { result?: string };
    if (answer.result === "verified") return { how: "silent", ms: performance.now() - t0 };
  }
  const id = started.verification!.verificationId;
  for (let tries = 0; tries < 300; tries++) {
    const code = inboxOf(app.simulators, phone)
      .map((m) => /\b(\d{6})\b/.exec(m.text)?.[1])
      .find((c) => c !== undefined);
    if (code) {
      const res = await callUnary(
        verification,
        "checkCode",
        CheckCodeRequest.fromPartial({ target: { $case: "verificationId", value: id }, code }),
      );
      if (res.result === CheckResult.CHECK_RESULT_VERIFIED)
        return { how: "code", ms: performance.now() - t0 };
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}

export function formatSilentBench(r: SilentBenchResult): string {
  return [
    `Silent network verification (${r.users} users, ${Math.round(r.mobileDataShare * 100)} % on mobile data, WhatsApp code for the rest)`,
    `  verified silently / by code / not verified: ${r.verifiedSilently} / ${r.verifiedByCode} / ${r.notVerified}`,
    `  time to verified p50 / p99, silent: ${r.silentP50Ms} / ${r.silentP99Ms} ms; by code: ${r.codeP50Ms} / ${r.codeP99Ms} ms (code typed as soon as it arrives)`,
    `  SMS cost saved: ${r.smsCostSaved} USD (one SMS per user verified silently)`,
  ].join("\n");
}
