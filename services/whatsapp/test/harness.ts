/**
 * Wire-test set-up: a Cloud API simulator and a webhook endpoint on loopback, a connector
 * between them, receipts and log lines captured.
 */
import { createServer, type Server } from "node:http";
import { createLogger, type Logger } from "@platform/log";
import { createCloudApiClient, type CloudApiClientOptions } from "../src/cloud-api-client";
import type { ChannelDispatch, ChannelReceipt } from "@platform/http/channel-dispatch";
import { createMemoryCorrelation, type MessageCorrelation } from "../src/message-correlation";
import { createSenderPool, type SenderPool, type WhatsAppSender } from "../src/sender-pool";
import type { BreakerOptions } from "../src/sender-health";
import { startCloudApiSimulator, type CloudApiSimulator } from "../src/simulator/cloud-api-simulator";
import type { Scenario } from "../src/simulator/scenario";
import type { InboundMessage } from "@platform/http/whatsapp-cloud/webhook-payload";
import { createWhatsAppWebhookHandler } from "@platform/http/whatsapp-cloud/webhook-handler";
import { createWhatsAppConnector, type WhatsAppConnector } from "../src/whatsapp-connector";

export const ACCESS_TOKEN = "test-access-token";
export const APP_SECRET = "test-app-secret";
export const VERIFY_TOKEN = "test-verify-token";
const WEBHOOK_PATH = "/whatsapp/webhook";

export interface Stack {
  simulator: CloudApiSimulator;
  connector: WhatsAppConnector;
  pool: SenderPool;
  receipts: ChannelReceipt[];
  inbound: InboundMessage[];
  logs: string[];
  logger: Logger;
  webhookUrl: string;
  close(): Promise<void>;
}

export interface StackOptions {
  scenario?: Scenario;
  /** Senders as phone number ids, in order (default one: "100000000000001"). */
  phoneNumberIds?: string[];
  client?: Partial<CloudApiClientOptions>;
  breaker?: Partial<BreakerOptions>;
  now?: () => number;
  unknownStatusHoldMs?: number;
  /** Where claims and wamids are kept (default: in memory). */
  correlation?: MessageCorrelation;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const logs: string[] = [];
  const logger = createLogger({ level: "debug", write: (line) => logs.push(line) });
  const receipts: ChannelReceipt[] = [];
  const inbound: InboundMessage[] = [];
  const simulator = await startCloudApiSimulator({
    accessTokens: [ACCESS_TOKEN],
    appSecret: APP_SECRET,
    scenario: options.scenario ?? {},
  });
  const now = options.now ?? Date.now;
  const senders: WhatsAppSender[] = (options.phoneNumberIds ?? ["100000000000001"]).map((id, i) => ({
    name: `sender-${i + 1}`,
    phoneNumberId: id,
    templateName: "otp_copy_code",
    client: createCloudApiClient({
      baseUrl: simulator.url,
      apiVersion: "v21.0",
      accessToken: ACCESS_TOKEN,
      retry: { initialDelayMs: 10, maxDelayMs: 40 },
      logger,
      now,
      ...options.client,
    }),
  }));
  const pool = createSenderPool({ senders: { "*": senders }, breaker: options.breaker, now });
  const connector = createWhatsAppConnector({
    pool,
    correlation: options.correlation ?? createMemoryCorrelation(),
    onReceipt: async (receipt) => void receipts.push(receipt),
    logger,
    now,
    unknownStatusHoldMs: options.unknownStatusHoldMs ?? 300,
  });
  const handler = createWhatsAppWebhookHandler({
    verifyToken: VERIFY_TOKEN,
    appSecret: APP_SECRET,
    onStatuses: (statuses) => connector.handleStatuses(statuses),
    onMessages: async (messages) => void inbound.push(...messages),
    logger,
  });
  const server = await listen((request, response) => {
    if (new URL(request.url ?? "/", "http://x").pathname === WEBHOOK_PATH) return handler(request, response);
    response.writeHead(404).end();
  });
  const webhookUrl = `http://127.0.0.1:${port(server)}${WEBHOOK_PATH}`;
  simulator.setWebhookUrl(webhookUrl);
  return {
    simulator,
    connector,
    pool,
    receipts,
    inbound,
    logs,
    logger,
    webhookUrl,
    async close() {
      await simulator.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function listen(handler: Parameters<typeof createServer>[1]): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return server;
}

export function port(server: Server): number {
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("not listening");
  return address.port;
}

let sequence = 0;

/** A dispatch to a fresh random number under `prefix`, code valid for 5 minutes. */
export function dispatchTo(prefix = "62812", overrides: Partial<ChannelDispatch> = {}): ChannelDispatch {
  sequence += 1;
  return {
    verificationId: `ver-${process.pid}-${sequence}-${Math.random().toString(36).slice(2, 8)}`,
    attempt: 1,
    tenant: "bank-a",
    phone: `+${prefix}${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`,
    code: String(100000 + Math.floor(Math.random() * 900000)),
    locale: "id-ID",
    expiresAt: new Date(Date.now() + 5 * 60_000),
    district: "jakarta-selatan",
    ...overrides,
  };
}

/** Polls until `check` is true; fails after `timeoutMs` naming `what`. */
export async function eventually(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const receiptsOf = (stack: Stack, verificationId: string): ChannelReceipt[] =>
  stack.receipts.filter((r) => r.verificationId === verificationId);
