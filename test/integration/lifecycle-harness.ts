/**
 * Issuance + verification on real Kafka and Redis behind a real gRPC server, with their logs and
 * every envelope on the topic captured so tests can look for leaked codes.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type * as grpc from "@grpc/grpc-js";
import { EventEnvelope } from "@proto/otp/events/v1/events";
import { IssuanceServiceClient } from "@proto/otp/v1/issuance";
import { VerificationServiceClient } from "@proto/otp/v1/verification";
import { createIssuanceApp, type IssuanceApp } from "@services/issuance/src/app";
import type { Subscription } from "@platform/bus/port";
import { sealedField } from "@platform/crypto/sealer";
import { createClient } from "@platform/grpc/client";
import { createGrpcServer, type GrpcServer } from "@platform/grpc/server";
import type { TokenGrant } from "@platform/grpc/identity";
import { createLogger } from "@platform/log";
import { platformFromEnv, type Platform } from "@platform/runtime/platform";
import { createVerificationApp, type VerificationApp } from "@services/verification/src/app";
import { requireEnv } from "../support/env";
import { EVENT_ROLES } from "@domain/events/ownership";
import { freshEventKeysVariable } from "@platform/crypto/event-keys";

export const TOKENS = {
  acme: "tok-acme-0123456789abcdef",
  pump: "tok-pump-0123456789abcdef",
  tight: "tok-tight-0123456789abcdef",
  alice: "tok-admin-alice-0123456789",
  bob: "tok-admin-bob-0123456789ab",
  bench: "tok-bench-0123456789abcdef",
} as const;

const GRANTS: TokenGrant[] = [
  { token: TOKENS.acme, principal: "tenant:acme", tenant: "acme", roles: ["tenant"] },
  { token: TOKENS.pump, principal: "tenant:pump", tenant: "pump", roles: ["tenant"] },
  { token: TOKENS.tight, principal: "tenant:tight", tenant: "tight", roles: ["tenant"] },
  { token: TOKENS.alice, principal: "admin:alice", roles: ["admin"] },
  { token: TOKENS.bob, principal: "admin:bob", roles: ["admin"] },
  { token: TOKENS.bench, principal: "tenant:bench", tenant: "bench", roles: ["tenant"] },
];

const POLICY = {
  default: {
    limits: {
      perTenant: { requestsPerSecond: 2000, burst: 2000 },
      perPhone: { sendsPerHour: 50, startsPer10Minutes: 50 },
      perDestinationPrefix: { prefixDigits: 7, sendsPerMinute: 1000 },
    },
  },
  tenants: {
    acme: {},
    pump: {
      fraud: {
        pumpingGuard: {
          enabled: true,
          shadowMode: false,
          windowSeconds: 600,
          minSends: 5,
          minConversion: 0.5,
          blockDurationSeconds: 600,
        },
      },
    },
    tight: { limits: { perTenant: { requestsPerSecond: 1, burst: 1 } } },
    bench: {
      limits: {
        perTenant: { requestsPerSecond: 100000, burst: 100000 },
        perDestinationPrefix: { prefixDigits: 7, sendsPerMinute: 100000 },
        perCountry: { sendsPerMinute: 100000 },
      },
    },
  },
};

export interface LifecycleHarness {
  platform: Platform;
  /** The OTP_EVENT_KEYS the services run with (tests forge events with some of them). */
  eventKeys: string;
  issuanceApp: IssuanceApp;
  verificationApp: VerificationApp;
  server: GrpcServer;
  address: string;
  logs: string[];
  envelopes: EventEnvelope[];
  rawPayloads: Buffer[];
  issuance(token: string): IssuanceServiceClient;
  verification(token: string): VerificationServiceClient;
  /** The code a verification's start carried, opened with the platform's keys. */
  codeOf(verificationId: string, attempt?: number): Promise<string>;
  eventsOf(verificationId: string): EventEnvelope[];
  close(): Promise<void>;
}

export { requireEnv };

export async function startLifecycle(
  options: { maxWatchesPerTenant?: number } = {},
): Promise<LifecycleHarness> {
  const run = randomUUID().slice(0, 8);
  const policyFile = path.join(tmpdir(), `otp-policy-${run}.json`);
  writeFileSync(policyFile, JSON.stringify(POLICY));
  const logs: string[] = [];
  const env = {
    KAFKA_BROKERS: requireEnv("KAFKA_BROKERS"),
    REDIS_URL: requireEnv("REDIS_URL"),
    OTP_TOPIC_PREFIX: `it-${run}.`,
    OTP_STORE_PREFIX: `it-${run}:`,
    OTP_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
    OTP_EVENT_KEYS: freshEventKeysVariable(),
    OTP_CODE_HASH_SECRET: randomBytes(32).toString("base64"),
    OTP_POLICY_FILE: policyFile,
    LOG_LEVEL: "debug",
  };
  const platform = await platformFromEnv({
    events: EVENT_ROLES["all-in-one"],
    service: "it",
    env,
    logWrite: (l) => logs.push(l),
  });
  const issuanceApp = createIssuanceApp(platform, {
    retentionMs: 3_600_000,
    maxWatchesPerTenant: options.maxWatchesPerTenant,
  });
  const verificationApp = createVerificationApp(platform, { retentionMs: 3_600_000 });
  const server = createGrpcServer({
    address: "127.0.0.1:0",
    insecure: true,
    tokens: GRANTS,
    logger: createLogger({ level: "debug", write: (l) => logs.push(l) }),
  });
  issuanceApp.register(server);
  verificationApp.register(server);

  const envelopes: EventEnvelope[] = [];
  const rawPayloads: Buffer[] = [];
  const capture: Subscription = await platform.bus.subscribe({
    groupId: `it-capture-${run}`,
    topics: [platform.topics.verifications],
    fromBeginning: true,
    handler: async (m) => {
      envelopes.push(m.envelope);
      rawPayloads.push(Buffer.from(EventEnvelope.encode(m.envelope).finish()));
    },
  });
  await Promise.all([issuanceApp.start(), verificationApp.start(), capture.ready]);
  const { port } = await server.start();
  const address = `127.0.0.1:${port}`;
  const clients: grpc.Client[] = [];

  const eventsOf = (id: string) => envelopes.filter((e) => e.verificationId === id);

  return {
    platform,
    eventKeys: env.OTP_EVENT_KEYS,
    issuanceApp,
    verificationApp,
    server,
    address,
    logs,
    envelopes,
    rawPayloads,
    eventsOf,
    issuance(token) {
      const c = createClient(IssuanceServiceClient, {
        address,
        insecure: true,
        token,
        defaultDeadlineMs: 10_000,
      });
      clients.push(c);
      return c;
    },
    verification(token) {
      const c = createClient(VerificationServiceClient, {
        address,
        insecure: true,
        token,
        defaultDeadlineMs: 10_000,
      });
      clients.push(c);
      return c;
    },
    codeOf: (verificationId, attempt = 0) => codeOnTopic(platform, eventsOf, verificationId, attempt),
    async close() {
      for (const c of clients) c.close();
      await server.shutdown(1000);
      await Promise.allSettled([capture.stop(), issuanceApp.stop(), verificationApp.stop()]);
      await platform.store.clear();
      await platform.close();
    },
  };
}

/** The code a verification's start carried, once the capture has seen it. */
async function codeOnTopic(
  platform: Platform,
  eventsOf: (id: string) => EventEnvelope[],
  verificationId: string,
  attempt: number,
): Promise<string> {
  for (let i = 0; i < 200; i++) {
    for (const env of eventsOf(verificationId)) {
      const e = env.event;
      if (attempt === 0 && e?.$case === "verificationStarted" && e.value.code) {
        return platform.secrets.sealer.open(e.value.code, sealedField(verificationId, "code"));
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no code seen on the topic for ${verificationId}`);
}
