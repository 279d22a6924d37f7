/**
 * Wire-test set-up: a Twilio-compatible simulator and the callback endpoint on loopback, the
 * voice connector between them, receipts and log lines captured.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createLogger, type Logger } from "@platform/log";
import { createMemoryCallRegistry, createMemoryPendingReadings } from "../src/call-registry";
import type { ChannelDispatch, ChannelReceipt } from "@platform/http/channel-dispatch";
import type { Scenario } from "../src/simulator/scenario";
import { startTwilioSimulator, type TwilioSimulator } from "../src/simulator/twilio-simulator";
import { createTwilioAdapter, type TwilioAdapterOptions } from "../src/twilio-adapter";
import {
  createVoiceConnector,
  type VoiceConnector,
  type VoiceConnectorOptions,
} from "../src/voice-connector";
import { createVoiceWebhookHandler } from "../src/webhook-handler";
import { createWebhookDedup } from "@platform/http/webhook-dedup";
import { createMemoryStore } from "@platform/store/memory";

export const ACCOUNT_SID = "AC00000000000000000000000000000001";
export const AUTH_TOKEN = "test-auth-token";
export const CALLER_ID = "+622150000000";

export interface VoiceStack {
  simulator: TwilioSimulator;
  connector: VoiceConnector;
  receipts: ChannelReceipt[];
  logs: string[];
  logger: Logger;
  baseUrl: string;
  close(): Promise<void>;
}

export interface VoiceStackOptions {
  scenario?: Scenario;
  keyPress?: boolean;
  adapter?: Partial<TwilioAdapterOptions>;
  connector?: Partial<VoiceConnectorOptions>;
}

export async function startVoiceStack(options: VoiceStackOptions = {}): Promise<VoiceStack> {
  const logs: string[] = [];
  const logger = createLogger({ level: "debug", write: (line) => logs.push(line) });
  const receipts: ChannelReceipt[] = [];
  const simulator = await startTwilioSimulator({
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    scenario: options.scenario ?? {},
  });
  let handler: (request: IncomingMessage, response: ServerResponse) => void = (_, response) =>
    void response.writeHead(503).end();
  const server = await listen((request, response) => handler(request, response));
  const baseUrl = `http://127.0.0.1:${port(server)}`;
  const connector = createVoiceConnector({
    provider: createTwilioAdapter({
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      baseUrl: simulator.url,
      initialRetryDelayMs: 10,
      logger,
      ...options.adapter,
    }),
    callerIds: { "*": CALLER_ID },
    statusCallbackUrl: `${baseUrl}/voice/status`,
    keyPressUrl: options.keyPress ? `${baseUrl}/voice/key` : undefined,
    registry: createMemoryCallRegistry(),
    readings: createMemoryPendingReadings(),
    deliveries: createWebhookDedup(createMemoryStore({ prefix: "voice-test:" }), "voice"),
    onReceipt: async (receipt) => void receipts.push(receipt),
    logger,
    callsPerSecond: 100,
    ...options.connector,
  });
  handler = createVoiceWebhookHandler({
    connector,
    publicBaseUrl: baseUrl,
    statusPath: "/voice/status",
    keyPressPath: "/voice/key",
    logger,
  });
  return {
    simulator,
    connector,
    receipts,
    logs,
    logger,
    baseUrl,
    async close() {
      await simulator.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function listen(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return server;
}

function port(server: Server): number {
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("not listening");
  return address.port;
}

let sequence = 0;

export function voiceDispatch(prefix = "62812", overrides: Partial<ChannelDispatch> = {}): ChannelDispatch {
  sequence += 1;
  return {
    verificationId: `ver-${process.pid}-${sequence}-${Math.random().toString(36).slice(2, 8)}`,
    attempt: 2,
    tenant: "bank-a",
    phone: `+${prefix}${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`,
    code: String(100000 + Math.floor(Math.random() * 900000)),
    locale: "id-ID",
    expiresAt: new Date(Date.now() + 5 * 60_000),
    district: "surabaya",
    ...overrides,
  };
}

export async function eventually(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const receiptsOf = (stack: VoiceStack, verificationId: string): ChannelReceipt[] =>
  stack.receipts.filter((r) => r.verificationId === verificationId);
