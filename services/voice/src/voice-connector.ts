/**
 * The voice channel connector core: a decoded dispatch in, receipts out.
 *
 * dispatch(): refuses codes too close to expiry (a call needs time to ring and be listened to),
 * is idempotent on (verification, attempt), keeps to the calls-per-second limit, places the
 * call (the code only in the provider request), reports ACCEPTED or FAILED.
 * cancel(): a verified verification ends its calls: queued or ringing ones are cancelled,
 * answered ones hung up (with an attempt: only that attempt's calls). A dispatch still on its
 * way is cancelled as soon as its call exists.
 * handleStatusCallback(): signed callbacks → QUEUED / SENT / DELIVERED / READ / FAILED /
 * CANCELLED receipts, never backwards (a late status is dropped). The callback URL carries the
 * verification id, attempt, tenant, district and operator (never the number or code), so a
 * callback that beats the API's answer, or reaches another replica, is still attributed.
 * handleKeyPress(): the "press 1" prompt's callback; the code is read only after the key press,
 * and only once.
 */
import { Channel, DeliveryStatus, FailureClass } from "@proto/otp/v1/common";
import { OtpError } from "@domain/errors";
import { silentLogger, type Logger } from "@platform/log";
import { maskPhone } from "@domain/privacy";
import type { CallRegistry, PendingReadings } from "./call-registry";
import { createCallPacer } from "./call-pacer";
import { mapCallStatus } from "./call-status-mapping";
import type { WebhookDedup } from "@platform/http/webhook-dedup";
import type { ChannelDispatch, ChannelReceipt, ReceiptSink } from "@platform/http/channel-dispatch";
import {
  FINAL_CALL_STATUSES,
  VoiceProviderError,
  type CallDocument,
  type PlacedCall,
  type SignedRequest,
  type VoiceProvider,
} from "./voice-provider";

export interface VoiceConnectorOptions {
  provider: VoiceProvider;
  /** Tenant → caller id (E.164); "*" for tenants not listed. */
  callerIds: Record<string, string>;
  /** Public URL of the status callback endpoint (a function when known only once listening). */
  statusCallbackUrl: string | (() => string);
  /** Public URL of the key-press endpoint: enables the "press 1 to hear your code" prompt. */
  keyPressUrl?: string | (() => string);
  registry: CallRegistry;
  /** Takes each status callback once (call id × status); none: every delivery is reported. */
  deliveries?: WebhookDedup;
  /** The locale the call speaks for a tenant and the dispatch's locale (its policy's voices). */
  localeFor?: (tenant: string, locale: string) => string;
  /** Required with keyPressUrl. */
  readings?: PendingReadings;
  onReceipt: ReceiptSink;
  logger?: Logger;
  now?: () => number;
  /** Default 3 calls per second. */
  callsPerSecond?: number;
  maxQueueDelayMs?: number;
  /** Codes with less life left are not called (default 60 s: ringing plus listening). */
  minRemainingSeconds?: number;
  /** How long call tracking outlives the code (default 1 hour). */
  trackingGraceMs?: number;
  /**
   * How long a cancellation keeps later dispatches of the verification from calling (default
   * 15 minutes: longer than any code lives, short enough for the store).
   */
  cancelMarkTtlMs?: number;
}

export interface VoiceConnector {
  dispatch(dispatch: ChannelDispatch): Promise<void>;
  /**
   * Ends the verification's unfinished calls (only those of `attempt` when given) and stops
   * later dispatches of it; resolves with how many calls were asked to end.
   */
  cancel(verificationId: string, attempt?: number): Promise<number>;
  handleStatusCallback(request: SignedRequest): Promise<void>;
  handleKeyPress(request: SignedRequest): Promise<CallDocument>;
}

type Outcome = Pick<ChannelReceipt, "status" | "failureClass" | "reason">;
interface Ref {
  verificationId: string;
  attempt: number;
  tenant: string;
  district: string;
  operator: string;
}

/** The connector's settings with their defaults, and its pacer. */
interface VoiceCalls {
  options: VoiceConnectorOptions;
  provider: VoiceProvider;
  registry: CallRegistry;
  now: () => number;
  logger: Logger;
  pacer: ReturnType<typeof createCallPacer>;
  maxQueueDelayMs: number;
  minRemainingMs: number;
  graceMs: number;
  cancelMarkMs: number;
}

export function createVoiceConnector(options: VoiceConnectorOptions): VoiceConnector {
  if (options.keyPressUrl !== undefined && options.readings === undefined) {
    throw new OtpError("CONFIG_INVALID", "the key-press prompt needs a PendingReadings store");
  }
  const calls: VoiceCalls = {
    options,
    provider: options.provider,
    registry: options.registry,
    now: options.now ?? Date.now,
    logger: options.logger ?? silentLogger(),
    pacer: createCallPacer(options.callsPerSecond ?? 3),
    maxQueueDelayMs: options.maxQueueDelayMs ?? 10_000,
    minRemainingMs: (options.minRemainingSeconds ?? 60) * 1000,
    graceMs: options.trackingGraceMs ?? 3600_000,
    cancelMarkMs: options.cancelMarkTtlMs ?? 15 * 60_000,
  };
  return {
    dispatch: (d) => dispatch(calls, d),
    cancel: (verificationId, attempt) => cancel(calls, verificationId, attempt),
    handleStatusCallback: (request) => handleStatusCallback(calls, request),
    handleKeyPress: (request) => handleKeyPress(calls, request),
  };
}

function report(calls: VoiceCalls, ref: Ref, outcome: Outcome, callId: string, at: Date): Promise<void> {
  return calls.options.onReceipt({
    ...ref,
    channel: Channel.CHANNEL_VOICE,
    ...outcome,
    providerMessageId: callId,
    providerTime: at,
    route: calls.provider.name,
  });
}

function callbackUrl(base: string | (() => string), ref: Ref): string {
  const url = new URL(typeof base === "function" ? base() : base);
  url.searchParams.set("verificationId", ref.verificationId);
  url.searchParams.set("attempt", String(ref.attempt));
  url.searchParams.set("tenant", ref.tenant);
  url.searchParams.set("district", ref.district);
  url.searchParams.set("operator", ref.operator);
  return url.toString();
}

async function dispatch(calls: VoiceCalls, d: ChannelDispatch): Promise<void> {
  const { registry, now } = calls;
  const log = calls.logger.child({
    verificationId: d.verificationId,
    attempt: d.attempt,
    maskedPhone: maskPhone(d.phone),
  });
  const ref: Ref = {
    verificationId: d.verificationId,
    attempt: d.attempt,
    tenant: d.tenant,
    district: d.district,
    operator: d.operator ?? "",
  };
  if (d.expiresAt.getTime() - now() < calls.minRemainingMs) {
    log.info("voice dispatch skipped: code expired or about to");
    return report(calls, ref, expired(), "", new Date(now()));
  }
  if (await registry.isCancelled(d.verificationId, d.attempt))
    return report(calls, ref, cancelledBeforeCall(), "", new Date(now()));
  if (
    !(await registry.claimAttempt(d.verificationId, d.attempt, d.expiresAt.getTime() - now() + calls.graceMs))
  ) {
    log.info("voice dispatch already handled; ignored");
    return;
  }
  await place(calls, d, ref, log);
}

async function place(calls: VoiceCalls, d: ChannelDispatch, ref: Ref, log: Logger): Promise<void> {
  const { options, provider, registry, now, pacer } = calls;
  const wait = pacer.delay(now());
  if (wait > calls.maxQueueDelayMs) {
    log.warn("voice call not placed: calls-per-second queue full", { waitMs: wait });
    return report(
      calls,
      ref,
      failed(FailureClass.FAILURE_CLASS_TRANSIENT, "VOICE_LOCAL_THROTTLE"),
      "",
      new Date(now()),
    );
  }
  const reserved = pacer.reserve(now());
  if (reserved > 0) await new Promise((resolve) => setTimeout(resolve, reserved));
  if (d.expiresAt.getTime() - now() < calls.minRemainingMs)
    return report(calls, ref, expired(), "", new Date(now()));
  if (await registry.isCancelled(d.verificationId, d.attempt))
    return report(calls, ref, cancelledBeforeCall(), "", new Date(now()));

  const from = options.callerIds[d.tenant] ?? options.callerIds["*"];
  const locale = options.localeFor?.(d.tenant, d.locale) ?? d.locale;
  if (from === undefined) throw new OtpError("CONFIG_INVALID", `no caller id for tenant ${d.tenant}`);
  try {
    const call = await provider.placeCall({
      to: d.phone,
      from,
      locale,
      code: d.code,
      verificationId: d.verificationId,
      attempt: d.attempt,
      statusCallbackUrl: callbackUrl(options.statusCallbackUrl, ref),
      gatherUrl: options.keyPressUrl === undefined ? undefined : callbackUrl(options.keyPressUrl, ref),
    });
    await keepPlacedCall(calls, d, call, locale, log);
    log.info("voice call placed", { callId: call.callId, route: provider.name });
    await report(calls, ref, accepted(), call.callId, new Date(now()));
    const cancelled = await registry.isCancelled(d.verificationId, d.attempt).catch(() => false);
    if (cancelled) await endCall(calls, call.callId, false, log);
  } catch (err) {
    if (!(err instanceof VoiceProviderError)) throw err;
    log.warn("voice call failed", { reason: err.reason, err });
    await report(calls, ref, failed(err.failureClass, err.reason), "", new Date(now()));
  }
}

/**
 * Placed: from here only the receipt may fail the dispatch. A store that cannot take the call
 * must not make the bus redeliver it (its claim may have gone with the store): the call goes on
 * without cancellation or key-press reading, and the step's timer decides.
 */
async function keepPlacedCall(
  calls: VoiceCalls,
  d: ChannelDispatch,
  call: PlacedCall,
  locale: string,
  log: Logger,
): Promise<void> {
  const { options } = calls;
  const lifeMs = d.expiresAt.getTime() - calls.now();
  const bestEffort = (what: string, write: Promise<unknown>) =>
    write.catch((err: unknown) => log.warn(`voice call ${what}`, { callId: call.callId, err }));
  await bestEffort(
    "not tracked",
    calls.registry.track(
      d.verificationId,
      { callId: call.callId, attempt: d.attempt, status: call.status },
      lifeMs + calls.graceMs,
    ),
  );
  if (options.keyPressUrl !== undefined && options.readings !== undefined) {
    const reading = { verificationId: d.verificationId, code: d.code, locale };
    await bestEffort("reading not kept", options.readings.put(call.callId, reading, lifeMs));
  }
}

async function endCall(calls: VoiceCalls, callId: string, answered: boolean, log: Logger): Promise<boolean> {
  try {
    await calls.provider.cancelCall(callId, { answered });
    log.info("voice call ended on cancellation", { callId, answered });
    return true;
  } catch (err) {
    log.warn("voice call could not be ended", { callId, err });
    return false;
  }
}

async function cancel(calls: VoiceCalls, verificationId: string, attempt?: number): Promise<number> {
  const log = calls.logger.child({ verificationId, attempt });
  await calls.registry.markCancelled(verificationId, calls.cancelMarkMs, attempt);
  const open = (await calls.registry.callsOf(verificationId)).filter(
    (call) => !FINAL_CALL_STATUSES.has(call.status) && (attempt === undefined || call.attempt === attempt),
  );
  const ended = await Promise.all(
    open.map((call) => endCall(calls, call.callId, call.status === "in-progress", log)),
  );
  return ended.filter(Boolean).length;
}

async function handleStatusCallback(calls: VoiceCalls, request: SignedRequest): Promise<void> {
  const { options } = calls;
  const event = calls.provider.parseStatusCallback(request);
  const ref = refFromUrl(request.url);
  const call = { callId: event.callId, attempt: ref.attempt, status: event.status };
  const tracked = await calls.registry.track(ref.verificationId, call, calls.graceMs);
  if (FINAL_CALL_STATUSES.has(event.status)) await options.readings?.drop(event.callId);
  // A late callback says nothing new. A delivery of a status already reported (the
  // provider's retry, or a replay of a signed callback) moves nothing; a report that failed
  // gives its claim back, so the provider's retry is reported.
  if (tracked === "stale") return;
  const send = () => report(calls, ref, mapCallStatus(event.status), event.callId, event.timestamp);
  if (!options.deliveries) return send();
  if (!(await options.deliveries.once(`${event.callId}|${event.status}`, send)))
    calls.logger.info("voice status delivered again; ignored", {
      callId: event.callId,
      status: event.status,
    });
}

async function handleKeyPress(calls: VoiceCalls, request: SignedRequest): Promise<CallDocument> {
  const event = calls.provider.parseKeyPress(request);
  const ref = refFromUrl(request.url);
  // Any key ends the prompt: the code is read at most once, then forgotten.
  const reading = await calls.options.readings?.take(event.callId);
  const pressed =
    event.digits === "1" && reading !== undefined && reading.verificationId === ref.verificationId;
  calls.logger.info("voice key press", { callId: event.callId, readingCode: pressed });
  return calls.provider.keyPressAnswer(reading?.locale ?? "en-US", pressed ? reading.code : undefined);
}

function refFromUrl(url: string): Ref {
  const query = new URL(url).searchParams;
  const verificationId = query.get("verificationId");
  const attempt = Number(query.get("attempt"));
  if (!verificationId || !Number.isInteger(attempt) || attempt < 1) {
    throw new OtpError("OTP_INVALID_ARGUMENT", "callback URL lacks verificationId / attempt");
  }
  return {
    verificationId,
    attempt,
    tenant: query.get("tenant") ?? "",
    district: query.get("district") ?? "",
    operator: query.get("operator") ?? "",
  };
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
const cancelledBeforeCall = (): Outcome => ({
  status: DeliveryStatus.DELIVERY_STATUS_CANCELLED,
  failureClass: FailureClass.FAILURE_CLASS_UNSPECIFIED,
  reason: "CANCELLED_BEFORE_CALL",
});
const failed = (failureClass: FailureClass, reason: string): Outcome => ({
  status: DeliveryStatus.DELIVERY_STATUS_FAILED,
  failureClass,
  reason,
});
