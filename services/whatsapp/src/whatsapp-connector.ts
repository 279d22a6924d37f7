/**
 * The WhatsApp channel connector core: a decoded dispatch in, receipts out.
 *
 * dispatch(): refuses expired codes (EXPIRED receipt, nothing sent), is idempotent on
 * (verification, attempt), sends the authentication template through the tenant's senders
 * (failover in the pool), remembers wamid → attempt, then reports ACCEPTED or FAILED.
 * handleStatuses(): turns status webhooks into SENT / DELIVERED / READ / FAILED receipts. A
 * status can beat the send's HTTP answer (or land on another replica first): unknown wamids
 * are looked up again for `unknownStatusHoldMs` before being dropped.
 *
 * Sending errors become receipts; only a failing receipt sink makes these calls reject (so the
 * caller's bus or webhook can redeliver).
 */
import { Channel, DeliveryStatus, FailureClass } from "@proto/otp/v1/common";
import { isOtpError } from "@domain/errors";
import { silentLogger, type Logger } from "@platform/log";
import { maskPhone } from "@domain/privacy";
import { whatsAppLanguage } from "./cloud-api-payload";
import { WhatsAppSendError } from "./cloud-api-client";
import type { ChannelDispatch, ChannelReceipt, ReceiptSink } from "@platform/http/channel-dispatch";
import type { MessageCorrelation, MessageRef } from "./message-correlation";
import type { WebhookDedup } from "@platform/http/webhook-dedup";
import { NoSenderAvailableError, type SenderPool, type WhatsAppSender } from "./sender-pool";
import { mapWebhookStatus } from "./status-mapping";
import type { WebhookStatus } from "@platform/http/whatsapp-cloud/webhook-payload";

export interface WhatsAppConnectorOptions {
  pool: SenderPool;
  correlation: MessageCorrelation;
  /** Takes each status delivery once (message id × status); none: every delivery is reported. */
  deliveries?: WebhookDedup;
  onReceipt: ReceiptSink;
  logger?: Logger;
  now?: () => number;
  /** Codes with less life left are not sent (default 30 s, WhatsApp's shortest message TTL). */
  minRemainingSeconds?: number;
  /**
   * The tenant's approved authentication template for a locale (from its policy); the sender's
   * own template name and language table when absent.
   */
  templateFor?: (tenant: string, locale: string) => { name: string; language: string } | undefined;
  /** wamid → attempt is kept this long past the code's expiry, for late statuses (default 1 day). */
  correlationGraceMs?: number;
  unknownStatusHoldMs?: number;
}

export interface WhatsAppConnector {
  dispatch(dispatch: ChannelDispatch): Promise<void>;
  handleStatuses(statuses: readonly WebhookStatus[]): Promise<void>;
}

type Outcome = Pick<ChannelReceipt, "status" | "failureClass" | "reason">;

/** The connector's settings with their defaults. */
interface WhatsAppSettings {
  options: WhatsAppConnectorOptions;
  now: () => number;
  logger: Logger;
  minRemainingMs: number;
  graceMs: number;
  holdMs: number;
}

export function createWhatsAppConnector(options: WhatsAppConnectorOptions): WhatsAppConnector {
  const settings: WhatsAppSettings = {
    options,
    now: options.now ?? Date.now,
    logger: options.logger ?? silentLogger(),
    minRemainingMs: (options.minRemainingSeconds ?? 30) * 1000,
    graceMs: options.correlationGraceMs ?? 24 * 3600_000,
    holdMs: options.unknownStatusHoldMs ?? 2_000,
  };
  return {
    dispatch: (d) => dispatch(settings, d),
    handleStatuses: (statuses) => handleStatuses(settings, statuses),
  };
}

function report(
  options: WhatsAppConnectorOptions,
  ref: MessageRef,
  outcome: Outcome,
  providerMessageId: string,
  providerTime: Date,
): Promise<void> {
  return options.onReceipt({
    verificationId: ref.verificationId,
    attempt: ref.attempt,
    tenant: ref.tenant,
    channel: Channel.CHANNEL_WHATSAPP,
    ...outcome,
    providerMessageId,
    providerTime,
    route: ref.route,
    district: ref.district,
    operator: ref.operator,
  });
}

/** A status may beat the send's answer: its message is looked up again for a moment. */
async function lookupWithHold(
  settings: WhatsAppSettings,
  messageId: string,
): Promise<MessageRef | undefined> {
  const { now } = settings;
  const deadline = now() + settings.holdMs;
  for (let wait = 25; ; wait = Math.min(wait * 2, 400)) {
    const ref = await settings.options.correlation.lookup(messageId);
    if (ref !== undefined || now() >= deadline) return ref;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

async function dispatch(settings: WhatsAppSettings, d: ChannelDispatch): Promise<void> {
  const { options, now, graceMs } = settings;
  const log = settings.logger.child({
    verificationId: d.verificationId,
    attempt: d.attempt,
    maskedPhone: maskPhone(d.phone),
  });
  const base: MessageRef = {
    verificationId: d.verificationId,
    attempt: d.attempt,
    tenant: d.tenant,
    district: d.district,
    operator: d.operator ?? "",
    route: "",
  };
  const remainingMs = d.expiresAt.getTime() - now();
  if (remainingMs < settings.minRemainingMs) {
    log.info("whatsapp dispatch skipped: code expired or about to");
    return report(options, base, expired(), "", new Date(now()));
  }
  if (!(await options.correlation.claimAttempt(d.verificationId, d.attempt, remainingMs + graceMs))) {
    log.info("whatsapp dispatch already handled; ignored");
    return;
  }
  let tried: WhatsAppSender | undefined;
  const template = options.templateFor?.(d.tenant, d.locale);
  try {
    const { sender, value: messageId } = await options.pool.send(d.tenant, (s) => {
      tried = s;
      return s.client.sendAuthTemplate({
        phoneNumberId: s.phoneNumberId,
        to: d.phone,
        templateName: template?.name ?? s.templateName,
        language: template?.language ?? whatsAppLanguage(d.locale, s.languages),
        code: d.code,
        ttlSeconds: Math.floor((d.expiresAt.getTime() - now()) / 1000),
      });
    });
    const ref = { ...base, route: sender.name };
    // Sent: from here only the receipt may fail the dispatch. A store that cannot take the
    // wamid must not make the bus redeliver a message that has gone out (its claim may have
    // gone with the store); its statuses are then dropped and the step's timer decides.
    await options.correlation
      .remember(messageId, ref, d.expiresAt.getTime() - now() + graceMs)
      .catch((err: unknown) => log.warn("whatsapp message id not remembered", { messageId, err }));
    log.info("whatsapp message accepted", { route: sender.name, messageId });
    await report(options, ref, accepted(), messageId, new Date(now()));
  } catch (err) {
    const outcome = failureOutcome(err);
    if (outcome === undefined) throw err;
    log.warn("whatsapp dispatch failed", { route: tried?.name, reason: outcome.reason, err });
    await report(options, { ...base, route: tried?.name ?? "" }, outcome, "", new Date(now()));
  }
}

async function handleStatuses(settings: WhatsAppSettings, statuses: readonly WebhookStatus[]): Promise<void> {
  const { options, logger } = settings;
  for (const status of statuses) {
    const outcome = mapWebhookStatus(status);
    if (outcome === undefined) continue;
    const ref = await lookupWithHold(settings, status.id);
    if (ref === undefined) {
      logger.warn("whatsapp status for an unknown message dropped", {
        messageId: status.id,
        status: status.status,
      });
      continue;
    }
    // A replayed (or retried) delivery of a status already reported moves nothing.
    const send = () => report(options, ref, outcome, status.id, status.timestamp);
    if (!options.deliveries) {
      await send();
      continue;
    }
    if (!(await options.deliveries.once(`${status.id}|${status.status}`, send)))
      logger.info("whatsapp status delivered again; ignored", {
        messageId: status.id,
        status: status.status,
      });
  }
}

const accepted = (): Outcome => ({
  status: DeliveryStatus.DELIVERY_STATUS_ACCEPTED,
  failureClass: FailureClass.FAILURE_CLASS_UNSPECIFIED,
  reason: "",
});

const expired = (): Outcome => ({
  status: DeliveryStatus.DELIVERY_STATUS_EXPIRED,
  failureClass: FailureClass.FAILURE_CLASS_PERMANENT,
  reason: "CODE_EXPIRED",
});

const failed = (failureClass: FailureClass, reason: string): Outcome => ({
  status: DeliveryStatus.DELIVERY_STATUS_FAILED,
  failureClass,
  reason,
});

/** Errors that are outcomes of the attempt; anything else is a bug and propagates. */
function failureOutcome(err: unknown): Outcome | undefined {
  if (err instanceof WhatsAppSendError)
    return failed(err.classification.failureClass, err.classification.reason);
  if (err instanceof NoSenderAvailableError)
    return failed(FailureClass.FAILURE_CLASS_TRANSIENT, "WHATSAPP_NO_SENDER");
  if (isOtpError(err) && err.code === "OTP_RATE_LIMITED") {
    return failed(FailureClass.FAILURE_CLASS_TRANSIENT, "WHATSAPP_LOCAL_THROTTLE");
  }
  if (isOtpError(err) && err.code === "OTP_FAILED_PRECONDITION") return expired();
  return undefined;
}
