/**
 * The assistant assembled on a platform's bus, store and keys, with the ports to issuance and
 * routing it is given (gRPC clients when it runs on its own, in-process services in the
 * all-in-one). Two halves, joined by the inbound topic:
 *   intake   `onMessages` takes the webhook's messages and writes them to the inbound topic
 *            before the webhook answers (with `webhookListen` it also serves its own webhook);
 *   handling a member of the consumer group `config.groupId` on that topic: one sender's
 *            messages on one partition, one after another, on whichever replica holds it.
 */
import type { EventBus, Subscription } from "@platform/bus/port";
import type { SecretMaterial } from "@platform/crypto/keys";
import { listenHttp, parseListenAddress, type HttpListener } from "@platform/http/http-listener";
import type { Logger } from "@platform/log";
import type { Store } from "@platform/store/port";
import type { InboundMessage } from "@platform/http/whatsapp-cloud/webhook-payload";
import { createCloudApiReplies } from "./adapters/cloud-api-replies";
import { createHandoffPublisher } from "./adapters/handoff-publisher";
import { INBOUND_PARTITIONS, INBOUND_RETENTION_MS, openInbound } from "./adapters/inbound-event";
import { createOfflineLanguageModel } from "./adapters/offline-model";
import { createRecentReplies } from "./adapters/recent-replies";
import { createStoreConversations } from "./adapters/store-conversations";
import { createStoreLimits } from "./adapters/store-limits";
import { createSupportIntake } from "./adapters/support-intake";
import { createAssistantWebhook } from "./adapters/whatsapp-inbound";
import { createAssistant, type Assistant } from "./assistant";
import type { AssistantConfig } from "./config";
import type { ChannelStatusPort, LanguageModelPort, VerificationDesk } from "./ports";

export interface AssistantServiceDeps {
  bus: EventBus;
  store: Store;
  secrets: Pick<SecretMaterial, "sealer" | "hasher">;
  logger: Logger;
  now: () => number;
  desk: VerificationDesk;
  status: ChannelStatusPort;
  config: AssistantConfig;
  /** A language model provider; default: the offline classifier. */
  model?: LanguageModelPort;
}

export interface AssistantService {
  assistant: Assistant;
  /** The webhook's messages: resolves once they are on the inbound topic. */
  onMessages(messages: InboundMessage[]): Promise<void>;
  /** Whether a WhatsApp message id is one of this process's recent replies. */
  sentReply(messageId: string): boolean;
  readonly listenUrl: string | undefined;
  start(): Promise<void>;
  /** Stops taking messages in, finishes the one in hand; the bus and store stay open (the caller's). */
  stop(): Promise<void>;
}

export function createAssistantService(deps: AssistantServiceDeps): AssistantService {
  const { config, secrets } = deps;
  const logger = deps.logger.child({ component: "assistant" });
  const senderKey = (e164: string) => secrets.hasher.lookup("phone", e164);
  const tenantFor = (id: string) => (Object.hasOwn(config.tenants, id) ? config.tenants[id] : undefined);
  const replies = createRecentReplies();
  const handoffs = createHandoffPublisher({
    bus: deps.bus,
    sealer: secrets.sealer,
    topic: config.handoffTopic,
    now: deps.now,
  });
  const assistant = createAssistant({
    tenantFor,
    senderKey,
    // From the message, so a turn handled again raises the same hand-off.
    handoffIdFor: (messageId) => `hof_${secrets.hasher.lookup("support-handoff", messageId).slice(0, 22)}`,
    desk: deps.desk,
    status: deps.status,
    model: deps.model ?? createOfflineLanguageModel(),
    replies: createCloudApiReplies({ ...config.whatsapp, onSent: (id) => replies.add(id) }),
    handoffs,
    conversations: createStoreConversations(deps.store, secrets.sealer),
    limits: createStoreLimits(deps.store, config),
    logger,
    now: deps.now,
  });
  const onMessages = createSupportIntake({
    bus: deps.bus,
    sealer: secrets.sealer,
    topic: config.inboundTopic,
    tenantFor,
    senderKey,
    logger,
    now: deps.now,
  });
  let listener: HttpListener | undefined;
  let subscription: Subscription | undefined;
  return {
    assistant,
    onMessages,
    sentReply: (messageId) => replies.has(messageId),
    get listenUrl() {
      return listener?.url;
    },
    async start() {
      await handoffs.ensureTopic();
      await deps.bus.ensureTopics([
        { name: config.inboundTopic, partitions: INBOUND_PARTITIONS, retentionMs: INBOUND_RETENTION_MS },
      ]);
      subscription = await deps.bus.subscribe({
        groupId: config.groupId,
        topics: [config.inboundTopic],
        // A replica alone handles every partition at once; each partition in order.
        partitionConcurrency: INBOUND_PARTITIONS,
        handler: async (message) => {
          const text = openInbound(message.envelope, secrets.sealer);
          if (text !== undefined) await assistant.handle(text);
        },
      });
      await subscription.ready;
      if (config.webhookListen === undefined) return;
      const webhook = createAssistantWebhook({
        ...config.whatsapp,
        path: config.webhookPath,
        onMessages,
        logger,
      });
      listener = await listenHttp(webhook, parseListenAddress(config.webhookListen));
      logger.info("assistant webhook listening", { url: listener.url, path: config.webhookPath });
    },
    async stop() {
      await listener?.close();
      listener = undefined;
      await subscription?.stop();
      subscription = undefined;
    },
  };
}
