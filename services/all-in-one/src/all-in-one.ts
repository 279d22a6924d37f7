/**
 * Every service in one process: issuance, verification (with the projector), routing, the SMS
 * gateway, the WhatsApp and voice connectors and the WhatsApp support assistant, on one gRPC
 * server, with the SMSC, WhatsApp and voice simulators standing in for the outside networks. On
 * the embedded bus and store by default; on Kafka and Redis when KAFKA_BROKERS and REDIS_URL
 * are set. With `smppConfigFile` (SMPP_CONFIG) the SMS gateway binds to the SMSC accounts that
 * file names instead of the SMSC simulator (which still runs, idle).
 */
import { createSmsGateway, type SmsGateway } from "@gateway-smpp/src/gateway";
import { loadGatewayConfig } from "@gateway-smpp/src/config/load-config";
import type { AccountConfig, GatewayConfig } from "@gateway-smpp/src/config/gateway-config";
import { createIssuanceApp } from "@services/issuance/src/app";
import { registerSupportService } from "@services/issuance/src/support-handlers";
import {
  createRoutingService,
  type RoutingService,
  type RoutingServiceSettingsInput,
} from "@services/routing/src/routing-service";
import { cachedIncidentCheck } from "@platform/incidents";
import type { GrpcServer } from "@platform/grpc/server";
import { DEV_TOKENS } from "@platform/development/tokens";
import type { Platform } from "@platform/runtime/platform";
import { createVerificationApp } from "@services/verification/src/app";
import { createVoiceChannel } from "@services/voice/src/channel";
import { voiceConfigFromEnv } from "@services/voice/src/channel-config";
import { createWhatsAppChannel } from "@services/whatsapp/src/channel";
import { whatsAppConfigFromEnv } from "@services/whatsapp/src/channel-config";
import type { ChannelService } from "@platform/http/channel-service";
import { listenHttp, type HttpHandler, type HttpListener } from "@platform/http/http-listener";
import { CALLBACK_PATH } from "@services/silent/src/callback-handler";
import { withSimulatedGateway } from "@services/silent/src/simulated-gateways";
import { createSilentConnector } from "@services/silent/src/silent-connector";
import type { OtpMetrics } from "@platform/telemetry/metrics";
import { createInProcessAssistant, type InProcessAssistant } from "./assistant";
import { startInboxServer } from "./inbox-server";
import { startSimulators, type Simulators } from "./simulators";

export interface AllInOneOptions {
  host: string;
  ports: {
    inbox: number;
    smpp: number;
    smscControl: number;
    whatsapp: number;
    voice: number;
    whatsappWebhook: number;
    voiceWebhook: number;
    /** The Open Gateway simulator and the silent connector's callback (0 or absent: any free port). */
    openGateway?: number;
    silentCallback?: number;
  };
  retentionMs: number;
  /** Routing settings (health windows, dwell): the scenario runner compresses time with them. */
  routing?: RoutingServiceSettingsInput;
  /** One Prometheus registry for every service of the process. */
  metrics?: OtpMetrics;
  /**
   * Put before every consumer group name, so several platforms can share one Kafka cluster
   * (a group shared by consumers of different topics would split partitions between them).
   */
  groupPrefix?: string;
  /** Support assistant limits (default 10 messages a minute, 3 resends an hour per sender). */
  assistant?: { messagesPerMinute?: number; resendOffersPerHour?: number };
  /** Over every SMPP account the gateway binds to the SMSC simulator (timeouts, binds, window). */
  smscAccount?: Partial<AccountConfig>;
  /**
   * A gateway configuration file (SMPP_CONFIG, the gateway service's format): bind to the SMSCs
   * it names instead of the simulator. `env` resolves its `passwordEnv` entries.
   */
  smppConfigFile?: string;
  env?: Record<string, string | undefined>;
  /**
   * Serve the handset inbox (every code in clear) over HTTP: a development platform only (see
   * dev-mode.ts). Default true; `npm start` turns it off outside development.
   */
  handsetInbox?: boolean;
}

export interface AllInOne {
  simulators: Simulators;
  gateway: SmsGateway;
  /** What the SMS gateway binds to: the simulator, or the accounts of SMPP_CONFIG. */
  gatewayConfig: GatewayConfig;
  /** "" when the handset inbox is off. */
  inboxUrl: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function createAllInOne(
  platform: Platform,
  server: GrpcServer,
  o: AllInOneOptions,
): Promise<AllInOne> {
  // The silent callback listens first: the simulator registers its URL as the redirect URI.
  const silentCallback = await listenSilentCallback(o);
  const silentListener = silentCallback.listener;
  const sims = await startSimulators({
    host: o.host,
    smpp: o.ports.smpp,
    smscControl: o.ports.smscControl,
    whatsapp: o.ports.whatsapp,
    voice: o.ports.voice,
    openGateway: o.ports.openGateway ?? 0,
    silentCallbackUrl: `${silentListener.url}${CALLBACK_PATH}`,
  });
  const c = sims.credentials;
  // Every tenant may try silent verification against the simulated operators (purpose login_silent).
  const p: Platform = {
    ...platform,
    policies: withSimulatedGateway(platform.policies, {
      sealer: platform.secrets.sealer,
      simulatorUrl: sims.openGateway.url,
      callbackUrl: `${silentListener.url}${CALLBACK_PATH}`,
      ...c.openGateway,
    }),
  };
  const issuance = createIssuanceApp(p, {
    retentionMs: o.retentionMs,
    incidentActive: cachedIncidentCheck(p.store, p.now),
    metrics: o.metrics,
  });
  const group = (name: string): string => `${o.groupPrefix ?? ""}${name}`;
  const verification = createVerificationApp(p, {
    retentionMs: o.retentionMs,
    metrics: o.metrics,
    projectorGroup: group("otp-projector"),
  });
  const routing = routingServiceOf(p, o, group("routing"));
  const gatewayConfig = gatewayConfigOf(o, sims, group("gateway-smpp"));
  const gateway = createSmsGateway({ ...p, clock: p.now, metrics: o.metrics, config: gatewayConfig });
  // Users write to the business number that sent their code: it serves the demo tenant.
  const assistant = createInProcessAssistant(p, {
    issuance: issuance.issuance,
    health: routing.health,
    tenants: { [c.whatsapp.phoneNumberId]: DEV_TOKENS[0]?.tenant ?? "demo-bank" },
    whatsapp: { baseUrl: sims.whatsapp.url, apiVersion: "v21.0", ...c.whatsapp },
    groupId: group("assistant"),
    ...o.assistant,
  });
  const whatsapp = whatsAppChannelOf(p, o, sims, assistant, group("whatsapp-connector"));
  const voice = voiceChannelOf(p, o, sims, group("voice-connector"));
  const silent = createSilentConnector({ ...p, now: p.now });
  silentCallback.serve(silent.webhookHandler);
  issuance.register(server);
  verification.register(server);
  routing.register(server);
  registerSupportService(server, assistant.desk, p.now);

  const channels: ChannelService[] = [whatsapp, voice, silent];
  let inbox: Awaited<ReturnType<typeof startInboxServer>> | undefined;
  return {
    simulators: sims,
    gateway,
    gatewayConfig,
    get inboxUrl() {
      return o.handsetInbox === false ? "" : `http://${o.host}:${inbox?.port ?? o.ports.inbox}`;
    },
    async start() {
      await Promise.all([
        verification.start(),
        issuance.start(),
        routing.start(),
        gateway.start(),
        assistant.start(),
        ...channels.map((ch) => ch.start()),
      ]);
      sims.whatsapp.setWebhookUrl(`${whatsapp.listenUrl ?? ""}/whatsapp/webhook`);
      if (o.handsetInbox !== false) inbox = await startInboxServer(sims, o.host, o.ports.inbox);
    },
    async stop() {
      await inbox?.close(1_000);
      await assistant.stop();
      await Promise.allSettled([
        ...channels.map((ch) => ch.stop()),
        gateway.close(),
        routing.stop(),
        issuance.stop(),
        verification.stop(),
      ]);
      await silentListener.close(1_000);
      await sims.close();
    },
  };
}

/** Answers 503 until the silent connector exists and serves its callbacks. */
async function listenSilentCallback(
  o: AllInOneOptions,
): Promise<{ listener: HttpListener; serve(handler: HttpHandler): void }> {
  let handler: HttpHandler = (_req, res) => {
    res.writeHead(503);
    res.end();
  };
  const listener = await listenHttp((req, res) => handler(req, res), {
    host: o.host,
    port: o.ports.silentCallback ?? 0,
  });
  return {
    listener,
    serve: (next) => {
      handler = next;
    },
  };
}

function routingServiceOf(p: Platform, o: AllInOneOptions, groupId: string): RoutingService {
  return createRoutingService({
    bus: p.bus,
    store: p.store,
    clock: p.now,
    policies: p.policies,
    logger: p.logger,
    topics: p.topics,
    metrics: o.metrics,
    sealer: p.secrets.sealer,
    groupId,
    ...(o.routing === undefined ? {} : { settings: o.routing }),
  });
}

/** The simulated SMSC's account (with the options' overrides), or the accounts of SMPP_CONFIG. */
function gatewayConfigOf(o: AllInOneOptions, sims: Simulators, consumerGroup: string): GatewayConfig {
  const c = sims.credentials;
  return withConsumerGroup(
    o.smppConfigFile === undefined
      ? withAccounts(
          loadGatewayConfig({
            SMSC_SIM_HOST: o.host,
            SMSC_SIM_SMPP_PORT: String(sims.smsc.port),
            SMSC_SIM_SYSTEM_ID: c.smpp.systemId,
            SMSC_SIM_PASSWORD: c.smpp.password,
          }),
          o.smscAccount,
        )
      : loadGatewayConfig({ ...o.env, SMPP_CONFIG: o.smppConfigFile }),
    consumerGroup,
  );
}

function whatsAppChannelOf(
  p: Platform,
  o: AllInOneOptions,
  sims: Simulators,
  assistant: InProcessAssistant,
  consumerGroup: string,
): ChannelService {
  const c = sims.credentials;
  return createWhatsAppChannel({
    ...p,
    clock: p.now,
    metrics: o.metrics,
    onMessages: (messages) => assistant.onMessages(messages),
    // The assistant's replies go out from the same number: their statuses are not the channel's.
    foreignMessage: (messageId) => assistant.sentReply(messageId),
    config: whatsAppConfigFromEnv({
      WHATSAPP_API_BASE_URL: sims.whatsapp.url,
      WHATSAPP_ACCESS_TOKEN: c.whatsapp.accessToken,
      WHATSAPP_SENDERS: `primary=${c.whatsapp.phoneNumberId}`,
      WHATSAPP_APP_SECRET: c.whatsapp.appSecret,
      WHATSAPP_VERIFY_TOKEN: c.whatsapp.verifyToken,
      WHATSAPP_WEBHOOK_LISTEN: `${o.host}:${o.ports.whatsappWebhook}`,
      WHATSAPP_CONSUMER_GROUP: consumerGroup,
    }),
  });
}

function voiceChannelOf(
  p: Platform,
  o: AllInOneOptions,
  sims: Simulators,
  consumerGroup: string,
): ChannelService {
  const c = sims.credentials;
  return createVoiceChannel({
    ...p,
    clock: p.now,
    metrics: o.metrics,
    config: voiceConfigFromEnv({
      VOICE_API_BASE_URL: sims.voice.url,
      VOICE_ACCOUNT_SID: c.voice.accountSid,
      VOICE_AUTH_TOKEN: c.voice.authToken,
      VOICE_CALLER_IDS: "*=+6215000000",
      VOICE_PUBLIC_BASE_URL: `http://${o.host}:${o.ports.voiceWebhook}`,
      VOICE_WEBHOOK_LISTEN: `${o.host}:${o.ports.voiceWebhook}`,
      VOICE_CONSUMER_GROUP: consumerGroup,
    }),
  });
}

function withConsumerGroup(config: GatewayConfig, consumerGroup: string): GatewayConfig {
  return { ...config, dispatch: { ...config.dispatch, consumerGroup } };
}

function withAccounts(config: GatewayConfig, account: Partial<AccountConfig> | undefined): GatewayConfig {
  if (account === undefined) return config;
  const accounts = Object.fromEntries(
    Object.entries(config.accounts).map(([name, settings]) => [name, { ...settings, ...account }]),
  );
  return { ...config, accounts };
}
