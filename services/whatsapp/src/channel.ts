/**
 * The WhatsApp channel as a service, on whatever bus and store it is given (Kafka + Redis in
 * production, in-process ones in the all-in-one mode):
 *   consumes DispatchRequested (channel WhatsApp) from the verifications topic in its own
 *   consumer group, opens the sealed phone and code, and hands them to the connector core;
 *   publishes every receipt as DeliveryReported keyed by verification id; serves the webhook
 *   (mounted by the caller, or on its own listener when `config.webhookListen` is set).
 * Claims and wamid references live in the store, so replicas share them.
 */
import { Channel } from "@proto/otp/v1/common";
import type { BusMessage, EventBus, Subscription } from "@platform/bus/port";
import type { SecretMaterial } from "@platform/crypto/keys";
import { eventOf } from "@platform/events/envelope";
import { topicSpecs, type TopicNames } from "@platform/bus/topics";
import type { ReceiptSink } from "@platform/http/channel-dispatch";
import type { ChannelService } from "@platform/http/channel-service";
import { deliveryReportedEnvelope, openDispatch } from "@platform/http/dispatch-envelopes";
import {
  listenHttp,
  parseListenAddress,
  type HttpHandler,
  type HttpListener,
} from "@platform/http/http-listener";
import type { Logger } from "@platform/log";
import type { PolicyBook } from "@domain/policy";
import type { Store } from "@platform/store/port";
import { createChannelTracing } from "@platform/telemetry/channel-tracing";
import { meterDeliveries } from "@platform/telemetry/delivery-metrics";
import type { OtpMetrics } from "@platform/telemetry/metrics";
import type { WhatsAppChannelConfig } from "./channel-config";
import { createCloudApiClient } from "./cloud-api-client";
import { policyTemplate } from "./policy-template";
import { createSenderPool, type WhatsAppSender } from "./sender-pool";
import { createStoreCorrelation } from "./store-correlation";
import { createWebhookDedup } from "@platform/http/webhook-dedup";
import { createWhatsAppWebhookHandler } from "@platform/http/whatsapp-cloud/webhook-handler";
import type { InboundMessage } from "@platform/http/whatsapp-cloud/webhook-payload";
import { createWhatsAppConnector } from "./whatsapp-connector";
import { eventTypes } from "@platform/bus/codec";

export interface WhatsAppChannelDeps {
  bus: EventBus;
  store: Store;
  secrets: Pick<SecretMaterial, "sealer">;
  policies: PolicyBook;
  config: WhatsAppChannelConfig;
  logger: Logger;
  topics: TopicNames;
  /** Milliseconds since the epoch (default Date.now). */
  clock?: () => number;
  /** Prometheus metrics of the process: sends, deliveries, failures (none: not exported). */
  metrics?: OtpMetrics;
  /** Messages users write to the business (the support assistant); dropped when absent. */
  onMessages?: (messages: InboundMessage[]) => Promise<void>;
  /**
   * Messages someone else sent from the same number (the assistant's replies): their statuses
   * are dropped at once, not held as statuses that beat their own send.
   */
  foreignMessage?: (messageId: string) => boolean;
}

export function createWhatsAppChannel(deps: WhatsAppChannelDeps): ChannelService {
  const { config, topics } = deps;
  const clock = deps.clock ?? Date.now;
  const bus = meterDeliveries(deps.bus, deps.metrics, Channel.CHANNEL_WHATSAPP);
  const tracing = createChannelTracing(Channel.CHANNEL_WHATSAPP, deps.store, clock);
  const logger = deps.logger.child({ channel: "whatsapp" });

  const onReceipt: ReceiptSink = tracing.receipts((receipt) =>
    bus.publish(topics.verifications, deliveryReportedEnvelope(receipt, { at: new Date(clock()) })),
  );

  const connector = createWhatsAppConnector({
    pool: createSenderPool({
      senders: sendersByTenant(config, logger, clock),
      breaker: config.breaker,
      now: clock,
    }),
    correlation: createStoreCorrelation(deps.store),
    deliveries: createWebhookDedup(deps.store, "whatsapp"),
    templateFor: (tenant, locale) => policyTemplate(deps.policies, tenant, locale),
    onReceipt,
    logger,
    now: clock,
    minRemainingSeconds: config.minRemainingSeconds,
    // Statuses later than this say nothing routing can still use; the store stays small.
    correlationGraceMs: config.correlationGraceMs ?? 3600_000,
    unknownStatusHoldMs: config.unknownStatusHoldMs,
  });

  const handler = createWhatsAppWebhookHandler({
    verifyToken: config.verifyToken,
    appSecret: config.appSecret,
    onStatuses: (statuses) =>
      connector.handleStatuses(
        deps.foreignMessage ? statuses.filter((s) => !deps.foreignMessage?.(s.id)) : statuses,
      ),
    onMessages: deps.onMessages,
    maxBodyBytes: config.maxBodyBytes,
    logger,
  });
  const webhookHandler: HttpHandler = (request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    if (path === config.webhookPath) return handler(request, response);
    response.writeHead(404, { "content-type": "application/json" }).end('{"error":{"message":"not found"}}');
  };

  const onMessage = async (message: BusMessage): Promise<void> => {
    const request = eventOf(message.envelope, "dispatchRequested");
    if (request === undefined || request.channel !== Channel.CHANNEL_WHATSAPP) return;
    await tracing.handle(message.envelope, () =>
      connector.dispatch(openDispatch(message.envelope, request, deps.secrets.sealer)),
    );
  };

  let subscription: Subscription | undefined;
  let listener: HttpListener | undefined;
  return {
    webhookHandler,
    get listenUrl() {
      return listener?.url;
    },
    async start() {
      await bus.ensureTopics(topicSpecs(topics));
      subscription = await bus.subscribe({
        groupId: config.groupId,
        topics: [topics.verifications],
        handler: onMessage,
        accepts: eventTypes("dispatchRequested"),
      });
      await subscription.ready;
      if (config.webhookListen !== undefined) {
        listener = await listenHttp(webhookHandler, parseListenAddress(config.webhookListen));
        logger.info("whatsapp webhook listening", { url: listener.url, path: config.webhookPath });
      }
      logger.info("whatsapp channel started", { groupId: config.groupId, topic: topics.verifications });
    },
    async stop() {
      await listener?.close();
      await subscription?.stop();
      listener = undefined;
      subscription = undefined;
    },
  };
}

/** Cloud API clients (one per base URL + token) and each tenant's senders in order. */
function sendersByTenant(
  config: WhatsAppChannelConfig,
  logger: Logger,
  clock: () => number,
): Record<string, WhatsAppSender[]> {
  const senders = config.senders.map((s): WhatsAppSender => ({
    name: s.name,
    phoneNumberId: s.phoneNumberId,
    templateName: s.templateName ?? config.templateName,
    client: createCloudApiClient({
      baseUrl: s.baseUrl ?? config.baseUrl,
      apiVersion: config.apiVersion,
      accessToken: s.accessToken ?? config.accessToken,
      messagesPerSecond: s.messagesPerSecond,
      ttlMode: config.ttlMode,
      retry: config.retry,
      now: clock,
      logger,
    }),
  }));
  const byName = new Map(senders.map((s) => [s.name, s]));
  const pick = (names: string[]) => names.flatMap((n) => byName.get(n) ?? []);
  const byTenant: Record<string, WhatsAppSender[]> = { "*": senders };
  for (const [tenant, names] of Object.entries(config.tenantSenders)) byTenant[tenant] = pick(names);
  return byTenant;
}
