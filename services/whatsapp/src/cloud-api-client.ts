/**
 * WhatsApp Cloud API client for authentication templates: POST /{version}/{phone-number-id}/messages
 * with a Bearer token. Retries 5xx, network errors and rate limits (429, 130429, 131056, 80007)
 * with exponential backoff + jitter, honouring Retry-After; never retries permanent errors
 * (131026, 132xxx, 131047, 100, 190…). A token bucket per phone number id keeps under the
 * sender's throughput (80 msg/s by default). Nothing is sent, or retried, past the code's life.
 *
 * Retrying after a timeout or a reset may deliver the same code twice; for a one-time code that
 * is better than not delivering it.
 */
import { OtpError } from "@domain/errors";
import { silentLogger, type Logger } from "@platform/log";
import {
  AUTH_TTL_MAX_SECONDS,
  AUTH_TTL_MIN_SECONDS,
  buildAuthTemplateBody,
  parseGraphError,
} from "./cloud-api-payload";
import { parseMessageId } from "@platform/http/whatsapp-cloud/message-id";
import { classifyWhatsAppError, type WhatsAppErrorClass } from "./error-classification";
import { DEFAULT_RETRY, parseRetryAfter, retryDelay, type RetryPolicy } from "./retry-policy";
import { createKeyedTokenBuckets } from "./token-bucket";
import { FailureClass } from "@proto/otp/v1/common";

export interface SendAuthTemplateRequest {
  phoneNumberId: string;
  to: string;
  templateName: string;
  language: string;
  code: string;
  /** The code's remaining life: the message is neither sent nor retried after it. */
  ttlSeconds: number;
}

/**
 * "template": the template's own message_send_ttl_seconds applies (create the template with a
 * TTL ≤ your shortest code validity). "message": also send Direct Send's per-message
 * `ttl_seconds`, clamped to 30–900 s and to the code's remaining life.
 */
export type TtlMode = "template" | "message";

export interface CloudApiClientOptions {
  /** e.g. https://graph.facebook.com */
  baseUrl: string;
  /** e.g. v21.0 */
  apiVersion: string;
  accessToken: string;
  /** Per phone number id; default 80. */
  messagesPerSecond?: number | ((phoneNumberId: string) => number);
  retry?: Partial<RetryPolicy>;
  requestTimeoutMs?: number;
  /** Longest wait for a send slot before giving up with OTP_RATE_LIMITED. */
  maxQueueDelayMs?: number;
  ttlMode?: TtlMode;
  now?: () => number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  logger?: Logger;
}

export interface CloudApiClient {
  /** Resolves with the message id (wamid). */
  sendAuthTemplate(request: SendAuthTemplateRequest): Promise<string>;
}

/** A send that did not succeed, with what the error means for routing. */
export class WhatsAppSendError extends OtpError {
  readonly classification: WhatsAppErrorClass;
  readonly httpStatus: number | undefined;
  readonly attempts: number;

  constructor(
    classification: WhatsAppErrorClass,
    httpStatus: number | undefined,
    attempts: number,
    cause?: unknown,
  ) {
    super("CHANNEL_PROVIDER_ERROR", `WhatsApp send failed: ${classification.reason}`, {
      cause,
      retryable: classification.retryable,
    });
    this.name = "WhatsAppSendError";
    this.classification = classification;
    this.httpStatus = httpStatus;
    this.attempts = attempts;
  }
}

type AttemptResult =
  | { ok: true; messageId: string }
  | { ok: false; error: WhatsAppErrorClass; httpStatus?: number; retryAfterMs?: number; cause?: unknown };

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function createCloudApiClient(options: CloudApiClientOptions): CloudApiClient {
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? defaultSleep;
  const logger = options.logger ?? silentLogger();
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const maxQueueDelayMs = options.maxQueueDelayMs ?? 2_000;
  const rate = options.messagesPerSecond ?? 80;
  const buckets = createKeyedTokenBuckets(typeof rate === "function" ? rate : () => rate);
  const base = options.baseUrl.replace(/\/+$/, "");

  const attemptOnce = async (url: string, body: string): Promise<AttemptResult> => {
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { authorization: `Bearer ${options.accessToken}`, "content-type": "application/json" },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      return { ok: false, error: networkClass(cause), cause };
    }
    const parsed: unknown = await response.json().catch(() => undefined);
    const messageId = response.ok ? parseMessageId(parsed) : undefined;
    if (messageId !== undefined) return { ok: true, messageId };
    const graphError = parseGraphError(parsed);
    return {
      ok: false,
      error: classifyWhatsAppError(graphError?.code, response.ok ? 502 : response.status),
      httpStatus: response.status,
      retryAfterMs: parseRetryAfter(response.headers.get("retry-after"), now()),
    };
  };

  return {
    async sendAuthTemplate(request) {
      if (request.ttlSeconds <= 0) throw new OtpError("OTP_FAILED_PRECONDITION", "code expired; not sent");
      const startedAt = now();
      const deadline = startedAt + request.ttlSeconds * 1000;
      const wait = buckets.reserve(request.phoneNumberId, startedAt);
      if (wait > maxQueueDelayMs || startedAt + wait >= deadline) {
        throw new OtpError("OTP_RATE_LIMITED", "sender queue full", { retryAfterMs: wait });
      }
      if (wait > 0) await sleep(wait);

      const url = `${base}/${options.apiVersion}/${encodeURIComponent(request.phoneNumberId)}/messages`;
      const log = logger.child({ phoneNumberId: request.phoneNumberId });
      for (let attempt = 1; ; attempt++) {
        const body = JSON.stringify(
          buildAuthTemplateBody({ ...request, ttlSeconds: messageTtl(request, deadline) }),
        );
        const result = await attemptOnce(url, body);
        if (result.ok) return result.messageId;
        const delay = retryDelay(attempt, policy, random, result.retryAfterMs);
        const retry = result.error.retryable && attempt < policy.maxAttempts && now() + delay < deadline;
        log.debug("whatsapp send attempt failed", {
          attempt,
          reason: result.error.reason,
          httpStatus: result.httpStatus,
          retryInMs: retry ? delay : undefined,
        });
        if (!retry) throw new WhatsAppSendError(result.error, result.httpStatus, attempt, result.cause);
        await sleep(delay);
      }
    },
  };

  function messageTtl(request: SendAuthTemplateRequest, deadline: number): number | undefined {
    if (options.ttlMode !== "message") return undefined;
    const remaining = Math.floor((deadline - now()) / 1000);
    if (remaining < AUTH_TTL_MIN_SECONDS) {
      throw new OtpError(
        "OTP_FAILED_PRECONDITION",
        "code expires before the shortest WhatsApp TTL; not sent",
      );
    }
    return Math.min(AUTH_TTL_MAX_SECONDS, remaining, request.ttlSeconds);
  }
}

function networkClass(cause: unknown): WhatsAppErrorClass {
  const timedOut = cause instanceof Error && (cause.name === "TimeoutError" || cause.name === "AbortError");
  return {
    kind: "transient",
    // After a timeout Meta may have accepted the message: the outcome is unknown.
    failureClass: timedOut ? FailureClass.FAILURE_CLASS_UNKNOWN : FailureClass.FAILURE_CLASS_TRANSIENT,
    reason: timedOut ? "WHATSAPP_TIMEOUT" : "WHATSAPP_NETWORK",
    retryable: true,
    scope: "sender",
  };
}
