/**
 * The assistant assembled on a platform's bus, store and keys, with the ports to issuance and
 * routing it is given (gRPC clients when it runs on its own, in-process services in the
 * all-in-one): `onMessages` takes the webhook's messages; with `webhookListen` it also serves
 * its own signed webhook.
 */
import type { EventBus } from "../../shared/src/bus/port";
import type { SecretMaterial } from "../../shared/src/crypto/keys";
import { listenHttp, parseListenAddress, type HttpListener } from "../../shared/src/http/http-listener";
import type { Logger } from "../../shared/src/log";
import type { Store } from "../../shared/src/store/port";
import type { InboundMessage } from "../../whatsapp/src/webhook-payload";
import { createCloudApiReplies } from "./adapters/cloud-api-replies";
import { createHandoffPublisher } from "./adapters/handoff-publisher";
import { createOfflineLanguageModel } from "./adapters/offline-model";
import { createStoreConversations } from "./adapters/store-conversations";
import { createStoreLimits } from "./adapters/store-limits";
import { createAssistantWebhook, textMessages } from "./adapters/whatsapp-inbound";
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
  onMessages(messages: InboundMessage[]): Promise<void>;
  readonly listenUrl: string | undefined;
  start(): Promise<void>;
  /** Finishes the messages in hand; the bus and store stay open (the caller's). */
  stop(): Promise<void>;
}

export function createAssistantService(deps: AssistantServiceDeps): AssistantService {
  const { config } = deps;
  const logger = deps.logger.child({ component: "assistant" });
  const handoffs = createHandoffPublisher({
    bus: deps.bus,
    sealer: deps.secrets.sealer,
    topic: config.handoffTopic,
    now: deps.now,
  });
  const assistant = createAssistant({
    tenantFor: (id) => (Object.hasOwn(config.tenants, id) ? config.tenants[id] : undefined),
    senderKey: (e164) => deps.secrets.hasher.lookup("phone", e164),
    desk: deps.desk,
    status: deps.status,
    model: deps.model ?? createOfflineLanguageModel(),
    replies: createCloudApiReplies(config.whatsapp),
    handoffs,
    conversations: createStoreConversations(deps.store, deps.secrets.sealer),
    limits: createStoreLimits(deps.store, config),
    logger,
    now: deps.now,
  });
  const onMessages = (messages: InboundMessage[]) => assistant.accept(textMessages(messages));
  let listener: HttpListener | undefined;
  return {
    assistant,
    onMessages,
    get listenUrl() {
      return listener?.url;
    },
    async start() {
      await handoffs.ensureTopic();
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
      await assistant.idle();
    },
  };
}
