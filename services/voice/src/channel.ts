/**
 * The voice channel as a service, on whatever bus and store it is given (Kafka + Redis in
 * production, in-process ones in the all-in-one mode). From the verifications topic, in its own
 * consumer group:
 *   DispatchRequested (voice)            open the sealed phone and code, place the call
 *   DispatchCancelled (voice or any)     end that attempt's unfinished calls
 *   CodeChecked VERIFIED, Verification-
 *   Cancelled / Expired / Locked /
 *   Overridden                           end every unfinished call of the verification
 * Receipts are published as DeliveryReported keyed by verification id. Status and key-press
 * callbacks are served by `webhookHandler` (mounted by the caller, or on its own listener when
 * `config.webhookListen` is set). Claims, calls and sealed pending readings live in the store.
 */
import { CheckOutcome, type EventEnvelope } from "@proto/otp/events/v1/events";
import { Channel } from "@proto/otp/v1/common";
import type { BusMessage, EventBus, Subscription } from "@platform/bus/port";
import type { SecretMaterial } from "@platform/crypto/keys";
import { OtpError } from "@domain/errors";
import { topicSpecs, type TopicNames } from "@platform/bus/topics";
import type { ReceiptSink } from "@platform/http/channel-dispatch";
import type { ChannelService } from "@platform/http/channel-service";
import { deliveryReportedEnvelope, openDispatch } from "@platform/http/dispatch-envelopes";
import { listenHttp, parseListenAddress, type HttpListener } from "@platform/http/http-listener";
import type { Logger } from "@platform/log";
import type { PolicyBook } from "@domain/policy";
import type { Store } from "@platform/store/port";
import { createChannelTracing } from "@platform/telemetry/channel-tracing";
import { meterDeliveries } from "@platform/telemetry/delivery-metrics";
import type { OtpMetrics } from "@platform/telemetry/metrics";
import type { VoiceChannelConfig } from "./channel-config";
import { policyVoiceLocale } from "./policy-locale";
import { createStoreCallRegistry } from "./store-call-registry";
import { createWebhookDedup } from "@platform/http/webhook-dedup";
import { createStorePendingReadings } from "./store-pending-readings";
import { createTwilioAdapter } from "./twilio-adapter";
import { createVoiceConnector, type VoiceConnector } from "./voice-connector";
import { createVoiceWebhookHandler } from "./webhook-handler";
import { eventTypes, type EventType } from "@platform/bus/codec";

export interface VoiceChannelDeps {
  bus: EventBus;
  store: Store;
  secrets: Pick<SecretMaterial, "sealer">;
  policies: PolicyBook;
  config: VoiceChannelConfig;
  logger: Logger;
  topics: TopicNames;
  /** Milliseconds since the epoch (default Date.now). */
  clock?: () => number;
  /** Prometheus metrics of the process: sends, deliveries, failures (none: not exported). */
  metrics?: OtpMetrics;
}

export function createVoiceChannel(deps: VoiceChannelDeps): ChannelService {
  const { config, topics } = deps;
  const clock = deps.clock ?? Date.now;
  const bus = meterDeliveries(deps.bus, deps.metrics, Channel.CHANNEL_VOICE);
  const tracing = createChannelTracing(Channel.CHANNEL_VOICE, deps.store, clock);
  const logger = deps.logger.child({ channel: "voice" });
  let listener: HttpListener | undefined;
  const publicBaseUrl = (): string => {
    const base = config.publicBaseUrl ?? listener?.url;
    if (base === undefined)
      throw new OtpError("CONFIG_INVALID", "voice publicBaseUrl unknown before listening");
    return base;
  };

  const onReceipt: ReceiptSink = tracing.receipts((receipt) =>
    bus.publish(topics.verifications, deliveryReportedEnvelope(receipt, { at: new Date(clock()) })),
  );

  const connector = createVoiceConnector({
    provider: createTwilioAdapter({
      accountSid: config.accountSid,
      authToken: config.authToken,
      baseUrl: config.baseUrl,
      ringSeconds: config.ringSeconds,
      maxAttempts: config.maxAttempts,
      initialRetryDelayMs: config.initialRetryDelayMs,
      logger,
    }),
    callerIds: config.callerIds,
    statusCallbackUrl: () => publicBaseUrl() + config.statusPath,
    keyPressUrl: config.keyPress ? () => publicBaseUrl() + config.keyPressPath : undefined,
    registry: createStoreCallRegistry(deps.store),
    deliveries: createWebhookDedup(deps.store, "voice"),
    readings: createStorePendingReadings(deps.store, deps.secrets.sealer),
    localeFor: (tenant, locale) => policyVoiceLocale(deps.policies, tenant, locale),
    onReceipt,
    logger,
    now: clock,
    callsPerSecond: config.callsPerSecond,
    maxQueueDelayMs: config.maxQueueDelayMs,
    minRemainingSeconds: config.minRemainingSeconds,
  });

  const webhookHandler = createVoiceWebhookHandler({
    connector,
    publicBaseUrl,
    statusPath: config.statusPath,
    keyPressPath: config.keyPressPath,
    maxBodyBytes: config.maxBodyBytes,
    logger,
  });

  const onMessage = (message: BusMessage): Promise<void> =>
    tracing.handle(message.envelope, () => reactTo(message.envelope, connector, deps.secrets.sealer, logger));

  let subscription: Subscription | undefined;
  return {
    webhookHandler,
    get listenUrl() {
      return listener?.url;
    },
    async start() {
      await bus.ensureTopics(topicSpecs(topics));
      // Listen first: a call placed right after joining needs its callback URL.
      if (config.webhookListen !== undefined) {
        listener = await listenHttp(webhookHandler, parseListenAddress(config.webhookListen));
        logger.info("voice callbacks listening", { url: listener.url });
      }
      subscription = await bus.subscribe({
        groupId: config.groupId,
        topics: [topics.verifications],
        handler: onMessage,
        accepts: eventTypes(...VOICE_INPUTS),
      });
      await subscription.ready;
      logger.info("voice channel started", { groupId: config.groupId, topic: topics.verifications });
    },
    async stop() {
      await subscription?.stop();
      await listener?.close();
      subscription = undefined;
      listener = undefined;
    },
  };
}

/** The events reactTo acts on. */
const VOICE_INPUTS: EventType[] = [
  "dispatchRequested",
  "dispatchCancelled",
  "codeChecked",
  "verificationCancelled",
  "verificationExpired",
  "verificationLocked",
  "verificationOverridden",
  "networkVerificationReported",
];

/** What one event of the verification's life means for its calls. */
async function reactTo(
  envelope: EventEnvelope,
  connector: VoiceConnector,
  sealer: VoiceChannelDeps["secrets"]["sealer"],
  logger: Logger,
): Promise<void> {
  const event = envelope.event;
  const verificationId = envelope.verificationId;
  switch (event?.$case) {
    case "dispatchRequested":
      if (event.value.channel === Channel.CHANNEL_VOICE)
        await connector.dispatch(openDispatch(envelope, event.value, sealer));
      return;
    case "dispatchCancelled": {
      const { channel, attempt } = event.value;
      if (channel !== Channel.CHANNEL_VOICE && channel !== Channel.CHANNEL_UNSPECIFIED) return;
      const ended = await connector.cancel(verificationId, attempt > 0 ? attempt : undefined);
      if (ended > 0) logger.info("voice calls ended: dispatch cancelled", { verificationId, attempt, ended });
      return;
    }
    case "codeChecked":
      if (event.value.outcome === CheckOutcome.CHECK_OUTCOME_VERIFIED)
        await endCalls(verificationId, "verified");
      return;
    case "networkVerificationReported":
      // Verified by the mobile network: a call still queued would read out a code nobody needs.
      if (event.value.verified) await endCalls(verificationId, "verified by the network");
      return;
    case "verificationCancelled":
    case "verificationExpired":
    case "verificationLocked":
    case "verificationOverridden":
      await endCalls(verificationId, event.$case);
      return;
    case undefined:
    case "verificationStarted":
    case "routePlanned":
    case "deliveryReported":
    case "fallbackTriggered":
    case "resendRequested":
    case "verificationFailed":
    case "incidentDeclared":
    case "incidentResolved":
    case "channelHealthChanged":
    case "handoffRequested":
    case "supportMessageReceived":
      // Nothing rings for these (a failed verification has no step left to call).
      return;
  }

  async function endCalls(id: string, why: string): Promise<void> {
    const ended = await connector.cancel(id);
    if (ended > 0) logger.info("voice calls ended", { verificationId: id, why, ended });
  }
}
