/**
 * The whole platform for the assistant's tests: the all-in-one factory on real Kafka and Redis
 * (own topic and key prefixes), a gRPC server with its development tokens (tenant, admin and
 * service), the WhatsApp simulator as the users' handsets (reached over HTTP), and every event
 * of the verifications and support topics captured.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { EventEnvelope } from "@proto/otp/events/v1/events";
import { IssuanceServiceClient, StartVerificationRequest } from "@proto/otp/v1/issuance";
import { RoutingServiceClient } from "@proto/otp/v1/routing";
import { DEV_TOKENS } from "@platform/development/tokens";
import { createAllInOne, type AllInOne } from "@services/all-in-one/src/all-in-one";
import type { Subscription } from "@platform/bus/port";
import { callUnary, createClient } from "@platform/grpc/client";
import { createGrpcServer, type GrpcServer } from "@platform/grpc/server";
import { platformFromEnv, type Platform } from "@platform/runtime/platform";
import { testPorts } from "../../support/all-in-one-ports";
import { requireEnv } from "../../support/env";
import { SUPPORT_TOPIC } from "@services/assistant/src/adapters/handoff-publisher";
import { EVENT_ROLES } from "@domain/events/ownership";
import { freshEventKeysVariable } from "@platform/crypto/event-keys";

export const TENANT = "demo-bank";
const BUSINESS_NUMBER = "100200300400";
export const TOKENS = {
  tenant: DEV_TOKENS[0]!.token,
  admin: DEV_TOKENS[1]!.token,
  service: DEV_TOKENS.find((t) => t.principal === "service:assistant")!.token,
};
/** Routing judges health on few samples here, so a test can make a channel go down. */
export const ROUTING = { health: { minSamples: 3, minDwellMs: 0 } };
export const MESSAGES_PER_MINUTE = 5;

const POLICY = {
  default: { purposes: { login: { resendCooldownSeconds: 10 } } },
  tenants: { [TENANT]: {} },
};

export interface Stack {
  platform: Platform;
  app: AllInOne;
  server: GrpcServer;
  address: string;
  webhookUrl: string;
  inboxUrl: string;
  supportTopic: string;
  envelopes: EventEnvelope[];
  rawSupport: Buffer[];
  logs: string[];
  issuance: IssuanceServiceClient;
  routing: RoutingServiceClient;
  close(): Promise<void>;
}

export async function startStack(): Promise<Stack> {
  const run = randomUUID().slice(0, 8);
  const policyFile = path.join(tmpdir(), `assistant-policy-${run}.json`);
  writeFileSync(policyFile, JSON.stringify(POLICY));
  const logs: string[] = [];
  const platform = await platformFromEnv({
    events: EVENT_ROLES["all-in-one"],
    service: "assistant-it",
    env: {
      KAFKA_BROKERS: requireEnv("KAFKA_BROKERS"),
      REDIS_URL: requireEnv("REDIS_URL"),
      OTP_TOPIC_PREFIX: `as-${run}.`,
      OTP_STORE_PREFIX: `as-${run}:`,
      OTP_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
      OTP_EVENT_KEYS: freshEventKeysVariable(),
      OTP_CODE_HASH_SECRET: randomBytes(32).toString("base64"),
      OTP_POLICY_FILE: policyFile,
      LOG_LEVEL: "info",
    },
    logWrite: (line) => logs.push(line),
  });
  const server = createGrpcServer({
    address: "127.0.0.1:0",
    insecure: true,
    tokens: DEV_TOKENS,
    logger: platform.logger,
  });
  const ports = await testPorts();
  const app = await createAllInOne(platform, server, {
    host: "127.0.0.1",
    ports,
    retentionMs: 3_600_000,
    routing: ROUTING,
    groupPrefix: `as-${run}-`,
    assistant: { messagesPerMinute: MESSAGES_PER_MINUTE, resendOffersPerHour: 3 },
  });
  const supportTopic = `as-${run}.${SUPPORT_TOPIC}`;
  const envelopes: EventEnvelope[] = [];
  const rawSupport: Buffer[] = [];
  await app.start();
  const capture: Subscription = await platform.bus.subscribe({
    groupId: `as-capture-${run}`,
    topics: [platform.topics.verifications, supportTopic],
    fromBeginning: true,
    handler: async (m) => {
      envelopes.push(m.envelope);
      if (m.topic === supportTopic) rawSupport.push(Buffer.from(EventEnvelope.encode(m.envelope).finish()));
    },
  });
  await capture.ready;
  const address = `127.0.0.1:${(await server.start()).port}`;
  const issuance = createClient(IssuanceServiceClient, { address, insecure: true, token: TOKENS.tenant });
  const routing = createClient(RoutingServiceClient, { address, insecure: true, token: TOKENS.admin });
  return {
    platform,
    app,
    server,
    address,
    webhookUrl: `http://127.0.0.1:${ports.whatsappWebhook}/whatsapp/webhook`,
    inboxUrl: app.inboxUrl,
    supportTopic,
    envelopes,
    rawSupport,
    logs,
    issuance,
    routing,
    async close() {
      issuance.close();
      routing.close();
      await server.shutdown(500);
      await capture.stop();
      await app.stop();
      await platform.store.clear();
      await platform.close();
    },
  };
}

let sequence = 0;

/** A fresh Indonesian mobile number, E.164. */
export function freshPhone(): string {
  sequence += 1;
  const tail = `${process.pid % 1000}${sequence}`.padStart(4, "0").slice(-4);
  return `+62812${String(Math.floor(Math.random() * 1000)).padStart(3, "0")}${tail}`;
}

export async function startVerification(stack: Stack, phone: string, district: string): Promise<string> {
  const answer = await callUnary(
    stack.issuance,
    "startVerification",
    StartVerificationRequest.fromPartial({ phone, purpose: "login", locale: "id", districtHint: district }),
  );
  return answer.verification?.verificationId ?? "";
}

/** Waits until every verification has been sent once and its resend cooldown has passed. */
export async function untilResendable(stack: Stack, verificationIds: readonly string[]): Promise<void> {
  const readyAt = await Promise.all(
    verificationIds.map((verificationId) =>
      eventually(`the first send of ${verificationId}`, async () => {
        const answer = await callUnary(stack.issuance, "getVerification", { verificationId });
        const v = answer.verification;
        return v && v.attempts.length > 0 ? (v.resendAvailableAt?.getTime() ?? 0) : undefined;
      }),
    ),
  );
  const wait = Math.max(0, ...readyAt) - Date.now() + 300;
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

/** What the handset shows from the business's free-form replies (newest last), over HTTP. */
export async function textsOn(stack: Stack, phone: string): Promise<string[]> {
  const url = `${stack.app.simulators.whatsapp.url}/inbox?phone=${encodeURIComponent(phone)}`;
  const body = (await (await fetch(url)).json()) as { messages: Array<{ kind: string; text: string }> };
  return body.messages.filter((m) => m.kind === "text").map((m) => m.text);
}

/** Everything the handset received on every channel (the all-in-one inbox, over HTTP). */
export async function handset(
  stack: Stack,
  phone: string,
): Promise<Array<{ channel: string; text: string }>> {
  const body = (await (await fetch(`${stack.inboxUrl}/inbox?phone=${encodeURIComponent(phone)}`)).json()) as {
    messages: Array<{ channel: string; text: string }>;
  };
  return body.messages;
}

export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The user writes to the business number (the simulator posts the signed webhook). */
export async function write(stack: Stack, phone: string, text: string): Promise<void> {
  const response = await fetch(`${stack.app.simulators.whatsapp.url}/inbound`, {
    method: "POST",
    body: JSON.stringify({ from: phone, text, phoneNumberId: BUSINESS_NUMBER }),
  });
  const answer = (await response.json()) as { posted: boolean };
  if (!answer.posted) throw new Error("the simulator could not post the inbound webhook");
}

/** Writes and waits for the next reply; its parts, as the assistant joined them. */
export async function ask(stack: Stack, phone: string, text: string): Promise<string[]> {
  const before = (await textsOn(stack, phone)).length;
  await write(stack, phone, text);
  const reply = await eventually(`a reply to ${phone}`, async () => (await textsOn(stack, phone))[before]);
  return reply.split("\n\n");
}

/** A regular expression for a reply template with its arguments left open. */
export function shape(template: (...args: string[]) => string): RegExp {
  const marker = "\u0001";
  const text = template(marker, marker, marker);
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replaceAll(marker, ".+?");
  return new RegExp(`^${escaped}$`, "s");
}
