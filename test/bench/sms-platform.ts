/**
 * The whole SMS path in this process, on real Kafka and Redis: issuance, verification (with the
 * projector), routing and gateway-smpp behind one gRPC server, and the SMSC simulator over real
 * SMPP on loopback. The bench tenant's workflow is SMS only, so every verification crosses the
 * SMPP wire. The simulated handset reports each message as it arrives (same clock as the load
 * generator), and the simulator generates the delivery receipt at once (receipt delay 0), so a
 * "user" can read the code as soon as the receipt exists.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { simulatorGatewayConfig } from "@gateway-smpp/src/config/default-config";
import { createSmsGateway, type SmsGateway } from "@gateway-smpp/src/gateway";
import type { ReceivedPart } from "@gateway-smpp/src/simulator/inbox";
import { startSmscSimulator, type SmscSimulator } from "@gateway-smpp/src/simulator/smsc-simulator";
import { IssuanceServiceClient } from "@proto/otp/v1/issuance";
import { VerificationServiceClient } from "@proto/otp/v1/verification";
import { createIssuanceApp, type IssuanceApp } from "@services/issuance/src/app";
import { createRoutingService, type RoutingService } from "@services/routing/src/routing-service";
import { createClient } from "@platform/grpc/client";
import type { TokenGrant } from "@platform/grpc/identity";
import { cachedIncidentCheck } from "@platform/incidents";
import { createGrpcServer, type GrpcServer } from "@platform/grpc/server";
import { createLogger } from "@platform/log";
import { platformFromEnv, type Platform } from "@platform/runtime/platform";
import { createVerificationApp, type VerificationApp } from "@services/verification/src/app";
import { requireEnv } from "../support/env";
import { countingBus, type BusCounts } from "./counting-bus";
import { EVENT_ROLES } from "@domain/events/ownership";
import { freshEventKeysVariable } from "@platform/crypto/event-keys";

const BENCH_RUNNER = "`npm run bench`";

export const BENCH_TOKEN = "tok-bench-0123456789abcdef";
export const GRANTS: TokenGrant[] = [
  { token: BENCH_TOKEN, principal: "tenant:bench", tenant: "bench", roles: ["tenant"] },
];

/** SMS only, one step lasting the code's life: no fallback timer fires during a run. */
const BENCH_TENANT = {
  purposes: { signup: { workflow: "sms_only", ttlSeconds: 600 } },
  workflows: { sms_only: [{ channel: "sms", timeoutSeconds: 600, advanceWhen: "not_verified" }] },
  limits: {
    perTenant: { requestsPerSecond: 100_000, burst: 1_000_000 },
    perDestinationPrefix: { prefixDigits: 7, sendsPerMinute: 100_000 },
    perCountry: { sendsPerMinute: 1_000_000 },
  },
};

/** "calm" is the surge bench's second tenant, with the same contract (the same admission weight). */
export const BENCH_POLICY = {
  default: {},
  tenants: {
    bench: BENCH_TENANT,
    calm: BENCH_TENANT,
  },
};

/** Binds to the simulator: enough capacity that SMPP is not what limits the run. */
export const SMSC_ACCOUNT = { binds: 4, window: 50, tps: 5_000 };

export interface Warnings {
  count: number;
  byMessage: Record<string, number>;
}

export interface SmsPlatform {
  platform: Platform;
  issuanceApp: IssuanceApp;
  address: string;
  simulator: SmscSimulator;
  gateway: SmsGateway;
  routing: RoutingService;
  verificationApp: VerificationApp;
  /** Publishes and messages the services made (group commit may merge requests). */
  busCounts(): BusCounts;
  /** Log lines at warn or error since start, counted by message. */
  warnings(): Warnings;
  issuance(): IssuanceServiceClient;
  verification(): VerificationServiceClient;
  /** Called for every message a handset receives, with performance.now() at arrival. */
  onHandset(listener: (part: ReceivedPart, at: number) => void): () => void;
  close(): Promise<void>;
}

export async function startSmsPlatform(): Promise<SmsPlatform> {
  const run = randomUUID().slice(0, 8);
  const policyFile = path.join(tmpdir(), `otp-bench-policy-${run}.json`);
  writeFileSync(policyFile, JSON.stringify(BENCH_POLICY));
  const warnings: Warnings = { count: 0, byMessage: {} };
  // Production log level; lines are counted, not printed (the load would flood the terminal).
  const logWrite = (line: string): void => {
    if (!line.includes('"level":"warn"') && !line.includes('"level":"error"')) return;
    warnings.count++;
    const msg = /"msg":"([^"]*)"/.exec(line)?.[1] ?? "?";
    warnings.byMessage[msg] = (warnings.byMessage[msg] ?? 0) + 1;
  };
  const platform = await platformFromEnv({
    events: EVENT_ROLES["all-in-one"],
    service: "bench",
    env: {
      KAFKA_BROKERS: requireEnv("KAFKA_BROKERS", BENCH_RUNNER),
      REDIS_URL: requireEnv("REDIS_URL", BENCH_RUNNER),
      OTP_TOPIC_PREFIX: `bench-${run}.`,
      OTP_STORE_PREFIX: `bench-${run}:`,
      OTP_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
      OTP_EVENT_KEYS: freshEventKeysVariable(),
      OTP_CODE_HASH_SECRET: randomBytes(32).toString("base64"),
      OTP_POLICY_FILE: policyFile,
      LOG_LEVEL: "info",
    },
    logWrite,
  });
  const counted = countingBus(platform.bus);
  const p: Platform = { ...platform, bus: counted.bus };
  const listeners = new Set<(part: ReceivedPart, at: number) => void>();
  const credentials = { systemId: "bench", password: randomBytes(4).toString("hex") };
  const simulator = await startSmscSimulator({
    host: "127.0.0.1",
    port: 0,
    credentials: { [credentials.systemId]: credentials.password },
    scenario: { default: { receiptDelayMs: 0 } },
  });
  watchHandsets(simulator, (part, at) => listeners.forEach((l) => l(part, at)));

  const apps = buildServices(p, simulator, credentials, run);
  const server = createGrpcServer({
    address: "127.0.0.1:0",
    insecure: true,
    tokens: GRANTS,
    logger: createLogger({ level: "info", write: logWrite }),
  });
  apps.issuanceApp.register(server);
  apps.verificationApp.register(server);
  await Promise.all([
    apps.issuanceApp.start(),
    apps.verificationApp.start(),
    apps.routing.start(),
    apps.gateway.start(),
  ]);
  await apps.gateway.waitUntilBound(10_000);
  const { port } = await server.start();
  const address = `127.0.0.1:${port}`;
  return assemble(p, apps, server, simulator, address, {
    counted,
    warnings,
    listeners,
    cleanup: () => rmSync(policyFile, { force: true }),
  });
}

interface Services {
  issuanceApp: IssuanceApp;
  verificationApp: VerificationApp;
  routing: RoutingService;
  gateway: SmsGateway;
}

function buildServices(
  p: Platform,
  simulator: SmscSimulator,
  credentials: { systemId: string; password: string },
  run: string,
): Services {
  const issuanceApp = createIssuanceApp(p, {
    retentionMs: 3_600_000,
    // As issuance's main.ts wires it: every start asks whether an incident is declared.
    incidentActive: cachedIncidentCheck(p.store, p.now),
  });
  const verificationApp = createVerificationApp(p, {
    retentionMs: 3_600_000,
    projectorGroup: `bench-projector-${run}`,
  });
  const routing = createRoutingService({
    bus: p.bus,
    store: p.store,
    clock: p.now,
    policies: p.policies,
    logger: p.logger,
    topics: p.topics,
    sealer: p.secrets.sealer,
    groupId: `bench-routing-${run}`,
  });
  const gateway = createSmsGateway({
    ...p,
    clock: p.now,
    config: simulatorGatewayConfig(
      { host: "127.0.0.1", port: simulator.port, ...credentials },
      {
        accounts: {
          simulator: {
            host: "127.0.0.1",
            port: simulator.port,
            ...credentials,
            bindMode: "transceiver",
            ...SMSC_ACCOUNT,
            responseTimeoutMs: 10_000,
            enquireLinkIntervalMs: 30_000,
          },
        },
        dispatch: { consumerGroup: `bench-gateway-${run}` },
      },
    ),
  });
  return { issuanceApp, verificationApp, routing, gateway };
}

function assemble(
  p: Platform,
  apps: Services,
  server: GrpcServer,
  simulator: SmscSimulator,
  address: string,
  extra: {
    counted: { counts: () => BusCounts };
    warnings: Warnings;
    listeners: Set<(part: ReceivedPart, at: number) => void>;
    cleanup: () => void;
  },
): SmsPlatform {
  const clients: { close(): void }[] = [];
  const client = <C extends { close(): void }>(c: C): C => {
    clients.push(c);
    return c;
  };
  const clientOptions = { address, insecure: true as const, token: BENCH_TOKEN, defaultDeadlineMs: 10_000 };
  return {
    platform: p,
    ...apps,
    address,
    simulator,
    busCounts: extra.counted.counts,
    warnings: () => ({ count: extra.warnings.count, byMessage: { ...extra.warnings.byMessage } }),
    issuance: () => client(createClient(IssuanceServiceClient, clientOptions)),
    verification: () => client(createClient(VerificationServiceClient, clientOptions)),
    onHandset(listener) {
      extra.listeners.add(listener);
      return () => extra.listeners.delete(listener);
    },
    async close() {
      for (const c of clients) c.close();
      await server.shutdown(1_000);
      await Promise.allSettled([
        apps.gateway.close(),
        apps.routing.stop(),
        apps.issuanceApp.stop(),
        apps.verificationApp.stop(),
      ]);
      await simulator.close();
      await p.store.clear().catch(() => undefined);
      await p.close();
      extra.cleanup();
    },
  };
}

/**
 * The simulator keeps what handsets receive in its inbox; the bench needs to know the moment
 * it happens, so it listens on the inbox's one way in.
 */
function watchHandsets(simulator: SmscSimulator, listener: (part: ReceivedPart, at: number) => void): void {
  const inbox = simulator.inbox;
  const addPart = inbox.addPart.bind(inbox);
  inbox.addPart = (part) => {
    const at = performance.now();
    const message = addPart(part);
    listener(part, at);
    return message;
  };
}
