/**
 * The platform as separate services on real wires, each with its own platform (Kafka and
 * Redis clients), its own Prometheus registry and /metrics listener, as separate processes
 * would have them: issuance and verification behind their own gRPC servers, routing,
 * gateway-smpp bound to the SMSC simulator, the WhatsApp connector on the Cloud API simulator
 * (numbers under the scenario's `notOnWhatsApp` fail there: routing falls back to SMS).
 * Topics, consumer groups and store keys under a random prefix, removed at close.
 */
import { randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type * as grpc from "@grpc/grpc-js";
import { IssuanceServiceClient } from "@proto/otp/v1/issuance";
import { VerificationServiceClient } from "@proto/otp/v1/verification";
import { simulatorGatewayConfig } from "@gateway-smpp/src/config/default-config";
import { createSmsGateway, type SmsGateway } from "@gateway-smpp/src/gateway";
import type { Scenario } from "@gateway-smpp/src/simulator/scenario";
import { startSmscSimulator, type SmscSimulator } from "@gateway-smpp/src/simulator/smsc-simulator";
import { deleteKafkaPrefix } from "@gateway-smpp/test/gateway/kafka-redis";
import { createIssuanceApp } from "@services/issuance/src/app";
import { type ClientConstructor, createClient } from "@platform/grpc/client";
import type { TokenGrant } from "@platform/grpc/identity";
import { createGrpcServer, type GrpcServer } from "@platform/grpc/server";
import { createLogger } from "@platform/log";
import { platformFromEnv, type Platform } from "@platform/runtime/platform";
import { startServiceMetrics, type ServiceMetrics } from "@platform/telemetry/service-metrics";
import { createVerificationApp } from "@services/verification/src/app";
import { createRoutingService } from "@services/routing/src/routing-service";
import { createWhatsAppChannel } from "@services/whatsapp/src/channel";
import { whatsAppConfigFromEnv } from "@services/whatsapp/src/channel-config";
import {
  startCloudApiSimulator,
  type CloudApiSimulator,
} from "@services/whatsapp/src/simulator/cloud-api-simulator";
import { requireEnv } from "../support/env";
import { EVENT_ROLES } from "@domain/events/ownership";
import { freshEventKeysVariable } from "@platform/crypto/event-keys";

export const TOKENS = { acme: "tok-obs-acme-0123456789", tight: "tok-obs-tight-0123456789" } as const;

const GRANTS: TokenGrant[] = [
  { token: TOKENS.acme, principal: "tenant:acme", tenant: "acme", roles: ["tenant"] },
  { token: TOKENS.tight, principal: "tenant:tight", tenant: "tight", roles: ["tenant"] },
];

const POLICY = {
  default: {
    // A short WhatsApp step, so a timer-driven fallback happens within a test.
    purposes: { quick_login: { riskTier: "medium", workflow: "quick" } },
    workflows: {
      quick: [
        { channel: "whatsapp", timeoutSeconds: 5, advanceWhen: "not_delivered" },
        { channel: "sms", timeoutSeconds: 30, advanceWhen: "not_verified" },
      ],
    },
    limits: {
      perTenant: { requestsPerSecond: 1000, burst: 1000 },
      perPhone: { sendsPerHour: 50, startsPer10Minutes: 50 },
    },
  },
  tenants: { acme: {}, tight: { limits: { perTenant: { requestsPerSecond: 1, burst: 1 } } } },
};

const SMSC = { systemId: "otp-router", password: "obs-sec" };
const WHATSAPP = { accessToken: "obs-wa-token", appSecret: "obs-wa-secret", phoneNumberId: "100200300400" };

export interface StackScenarios {
  smsc?: Scenario;
  /** The Cloud API simulator's scenario (notOnWhatsApp, outages...). */
  whatsapp?: unknown;
}

export interface OtpStack {
  prefix: string;
  simulator: SmscSimulator;
  whatsappSimulator: CloudApiSimulator;
  gateway: SmsGateway;
  /** Consumer groups of verification's projector, routing, the gateway and the WhatsApp connector. */
  groups: { projector: string; routing: string; gateway: string; whatsapp: string };
  /** /metrics base URL of each service. */
  metricsUrls: Record<"issuance" | "verification" | "routing" | "gateway-smpp" | "whatsapp", string>;
  issuance(token: string): IssuanceServiceClient;
  verification(token: string): VerificationServiceClient;
  /** The code in the newest SMS the simulated handset received, waiting for it. */
  codeFromSms(phone: string, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

/** What the stack's services are started with, and what closes them. */
interface StackParts {
  prefix: string;
  env: Record<string, string>;
  closers: Array<() => Promise<unknown>>;
  platforms: Platform[];
}

/** A started service: its gRPC address (if it serves), its consumer group and /metrics URL. */
interface Started {
  address?: string;
  group?: string;
  metricsUrl: string;
}

export async function startOtpStack(label: string, scenarios: StackScenarios = {}): Promise<OtpStack> {
  const prefix = `obs-${label}-${randomBytes(4).toString("hex")}`;
  const policyFile = path.join(tmpdir(), `${prefix}-policy.json`);
  writeFileSync(policyFile, JSON.stringify(POLICY));
  const env = {
    KAFKA_BROKERS: requireEnv("KAFKA_BROKERS"),
    REDIS_URL: requireEnv("REDIS_URL"),
    OTP_TOPIC_PREFIX: `${prefix}.`,
    OTP_STORE_PREFIX: `${prefix}:`,
    OTP_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
    OTP_EVENT_KEYS: freshEventKeysVariable(),
    OTP_CODE_HASH_SECRET: randomBytes(32).toString("base64"),
    OTP_POLICY_FILE: policyFile,
    LOG_LEVEL: "warn",
    METRICS_LISTEN: "127.0.0.1:0",
  };
  const parts: StackParts = { prefix, env, closers: [], platforms: [] };
  const simulator = await startSmscSimulator({
    port: 0,
    credentials: { [SMSC.systemId]: SMSC.password },
    scenario: scenarios.smsc ?? {},
  });
  const whatsappSimulator = await startCloudApiSimulator({
    host: "127.0.0.1",
    port: 0,
    accessTokens: [WHATSAPP.accessToken],
    appSecret: WHATSAPP.appSecret,
    scenario: scenarios.whatsapp ?? {},
  });
  const issuance = await startIssuance(parts);
  const verification = await startVerification(parts);
  const routing = await startRouting(parts);
  const { gateway, ...gatewayStarted } = await startGateway(parts, simulator);
  const whatsapp = await startWhatsApp(parts, whatsappSimulator);

  const clients: grpc.Client[] = [];
  const client = <C extends grpc.Client>(Ctor: ClientConstructor<C>, address: string, token: string): C => {
    const c = createClient(Ctor, { address, insecure: true, token, defaultDeadlineMs: 10_000 });
    clients.push(c);
    return c;
  };

  return {
    prefix,
    simulator,
    whatsappSimulator,
    gateway,
    groups: {
      projector: verification.group!,
      routing: routing.group!,
      gateway: gatewayStarted.group!,
      whatsapp: whatsapp.group!,
    },
    metricsUrls: {
      issuance: issuance.metricsUrl,
      verification: verification.metricsUrl,
      routing: routing.metricsUrl,
      "gateway-smpp": gatewayStarted.metricsUrl,
      whatsapp: whatsapp.metricsUrl,
    },
    issuance: (token) => client(IssuanceServiceClient, issuance.address!, token),
    verification: (token) => client(VerificationServiceClient, verification.address!, token),
    codeFromSms: (phone, timeoutMs = 15_000) => codeFromSms(simulator, phone, timeoutMs),
    async close() {
      for (const c of clients) c.close();
      for (const close of parts.closers.reverse()) await close().catch(() => undefined);
      await Promise.allSettled([simulator.close(), whatsappSimulator.close()]);
      await parts.platforms[0]?.store.clear();
      await Promise.allSettled(parts.platforms.map((p) => p.close()));
      await deleteKafkaPrefix(env.KAFKA_BROKERS, prefix).catch(() => undefined);
      rmSync(policyFile, { force: true });
    },
  };
}

async function open(parts: StackParts, service: string): Promise<Platform> {
  const platform = await platformFromEnv({
    events: EVENT_ROLES["all-in-one"],
    service,
    env: parts.env,
    logWrite: () => undefined,
  });
  parts.platforms.push(platform);
  return platform;
}

async function observe(
  parts: StackParts,
  service: string,
  p: Platform,
  groups: string[] = [],
): Promise<ServiceMetrics> {
  const consumerGroups = groups.map((groupId) => ({ groupId, topics: [p.topics.verifications] }));
  const observed = await startServiceMetrics({
    service,
    env: parts.env,
    logger: p.logger,
    consumerGroups,
    kafkaRequests: p.kafkaRequests,
  });
  parts.closers.push(() => observed.close());
  return observed;
}

async function serve(parts: StackParts, register: (server: GrpcServer) => void): Promise<string> {
  const server = createGrpcServer({
    address: "127.0.0.1:0",
    insecure: true,
    tokens: GRANTS,
    logger: createLogger({ level: "error", write: () => undefined }),
  });
  register(server);
  const { port } = await server.start();
  parts.closers.push(() => server.shutdown(1_000));
  return `127.0.0.1:${port}`;
}

async function startIssuance(parts: StackParts): Promise<Started> {
  const p = await open(parts, "issuance");
  const observed = await observe(parts, "issuance", p);
  const app = createIssuanceApp(p, { retentionMs: 3_600_000, metrics: observed.metrics });
  await app.start();
  parts.closers.push(() => app.stop());
  return { address: await serve(parts, (s) => app.register(s)), metricsUrl: observed.url! };
}

async function startVerification(parts: StackParts): Promise<Started> {
  const p = await open(parts, "verification");
  const group = `${parts.prefix}-projector`;
  const observed = await observe(parts, "verification", p, [group]);
  const app = createVerificationApp(p, {
    retentionMs: 3_600_000,
    metrics: observed.metrics,
    projectorGroup: group,
  });
  await app.start();
  parts.closers.push(() => app.stop());
  return { address: await serve(parts, (s) => app.register(s)), group, metricsUrl: observed.url! };
}

async function startRouting(parts: StackParts): Promise<Started> {
  const p = await open(parts, "routing");
  const group = `${parts.prefix}-routing`;
  const observed = await observe(parts, "routing", p, [group]);
  const routing = createRoutingService({
    bus: p.bus,
    store: p.store,
    policies: p.policies,
    logger: p.logger,
    topics: p.topics,
    clock: p.now,
    groupId: group,
    metrics: observed.metrics,
  });
  await routing.start();
  parts.closers.push(() => routing.stop());
  return { group, metricsUrl: observed.url! };
}

async function startGateway(
  parts: StackParts,
  simulator: SmscSimulator,
): Promise<Started & { gateway: SmsGateway }> {
  const p = await open(parts, "gateway-smpp");
  const group = `${parts.prefix}-gateway`;
  const observed = await observe(parts, "gateway-smpp", p, [group]);
  const base = simulatorGatewayConfig({ host: "127.0.0.1", port: simulator.port, ...SMSC });
  const gateway = createSmsGateway({
    ...p,
    clock: p.now,
    config: { ...base, dispatch: { ...base.dispatch, consumerGroup: group } },
    metrics: observed.metrics,
  });
  await gateway.start();
  await gateway.waitUntilBound(10_000);
  parts.closers.push(() => gateway.close());
  return { gateway, group, metricsUrl: observed.url! };
}

async function startWhatsApp(parts: StackParts, whatsappSimulator: CloudApiSimulator): Promise<Started> {
  const p = await open(parts, "whatsapp");
  const group = `${parts.prefix}-whatsapp`;
  const observed = await observe(parts, "whatsapp", p, [group]);
  const whatsapp = createWhatsAppChannel({
    ...p,
    clock: p.now,
    metrics: observed.metrics,
    config: whatsAppConfigFromEnv({
      WHATSAPP_API_BASE_URL: whatsappSimulator.url,
      WHATSAPP_ACCESS_TOKEN: WHATSAPP.accessToken,
      WHATSAPP_SENDERS: `primary=${WHATSAPP.phoneNumberId}`,
      WHATSAPP_APP_SECRET: WHATSAPP.appSecret,
      WHATSAPP_VERIFY_TOKEN: "obs-verify-token",
      WHATSAPP_WEBHOOK_LISTEN: "127.0.0.1:0",
      WHATSAPP_CONSUMER_GROUP: group,
    }),
  });
  await whatsapp.start();
  parts.closers.push(() => whatsapp.stop());
  whatsappSimulator.setWebhookUrl(`${whatsapp.listenUrl ?? ""}/whatsapp/webhook`);
  return { group, metricsUrl: observed.url! };
}

/** The code in the newest SMS the simulated handset received, waiting for it. */
async function codeFromSms(simulator: SmscSimulator, phone: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = simulator.inbox.messages(phone.replace(/^\+/, "")).at(-1)?.text;
    const code = text === undefined ? undefined : /\b(\d{4,10})\b/.exec(text)?.[1];
    if (code !== undefined) return code;
    if (Date.now() > deadline) throw new Error(`no SMS with a code reached ${phone.slice(0, 6)}…`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A random Indonesian mobile number under a prefix (the simulator routes by prefix). */
export function randomPhone(prefix = "+62812"): string {
  return `${prefix}${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;
}
