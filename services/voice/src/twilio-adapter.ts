/**
 * Twilio adapter for the voice provider port ("well-known voice API").
 *   place:  POST /2010-04-01/Accounts/{AccountSid}/Calls.json, form-encoded, basic auth
 *           AccountSid:AuthToken; To, From, Twiml (the code, in the body only), StatusCallback,
 *           StatusCallbackEvent ringing / answered / completed (the API's answer stands for
 *           "initiated"), Timeout (ring time).
 *   end:    POST …/Calls/{CallSid}.json with Status=canceled (queued, ringing) or completed.
 *   hooks:  X-Twilio-Signature checked over the public URL + sorted form parameters.
 * 429 and 5xx are retried with backoff + jitter (Retry-After honoured); a request whose answer
 * was lost is not: a second call is worse than a fallback.
 */
import { FailureClass } from "@proto/otp/v1/common";
import { OtpError } from "@domain/errors";
import { silentLogger, type Logger } from "@platform/log";
import { codeTwiml, goodbyeTwiml, pressKeyTwiml } from "./twiml";
import { verifyTwilioSignature } from "./twilio-signature";
import type { CodeReadingOptions } from "./voice-script";
import {
  CALL_STATUSES,
  VoiceProviderError,
  type CallStatus,
  type PlaceCallRequest,
  type SignedRequest,
  type VoiceProvider,
} from "./voice-provider";

export interface TwilioAdapterOptions {
  accountSid: string;
  authToken: string;
  /** Default https://api.twilio.com */
  baseUrl?: string;
  /** Seconds to let the phone ring (Twilio's Timeout, default 30). */
  ringSeconds?: number;
  reading?: CodeReadingOptions;
  gatherTimeoutSeconds?: number;
  maxAttempts?: number;
  initialRetryDelayMs?: number;
  requestTimeoutMs?: number;
  random?: () => number;
  logger?: Logger;
}

interface TwilioAnswer {
  status: number;
  body: Record<string, unknown> | undefined;
  retryAfterMs: number | undefined;
}

/** The account's endpoint and credentials, and how requests are retried. */
interface TwilioAccount {
  options: TwilioAdapterOptions;
  accountPath: string;
  authorization: string;
  maxAttempts: number;
  initialDelay: number;
  random: () => number;
  logger: Logger;
}

export function createTwilioAdapter(options: TwilioAdapterOptions): VoiceProvider {
  const base = (options.baseUrl ?? "https://api.twilio.com").replace(/\/+$/, "");
  const account: TwilioAccount = {
    options,
    accountPath: `${base}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}`,
    authorization: `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString("base64")}`,
    maxAttempts: options.maxAttempts ?? 3,
    initialDelay: options.initialRetryDelayMs ?? 200,
    random: options.random ?? Math.random,
    logger: options.logger ?? silentLogger(),
  };
  const { accountPath } = account;

  return {
    name: "twilio",
    async placeCall(request) {
      const answer = await post(account, `${accountPath}/Calls.json`, placeCallForm(options, request));
      const sid = answer.body?.sid;
      if (answer.status === 201 && typeof sid === "string") {
        return { callId: sid, status: callStatus(answer.body?.status) ?? "queued" };
      }
      throw providerError(answer);
    },

    async cancelCall(callId, { answered }) {
      const form = new URLSearchParams({ Status: answered ? "completed" : "canceled" });
      const answer = await post(account, `${accountPath}/Calls/${encodeURIComponent(callId)}.json`, form);
      // 404: the call is already gone.
      if (answer.status !== 200 && answer.status !== 404) throw providerError(answer);
    },

    parseStatusCallback(request) {
      const params = verified(options, request);
      const status = callStatus(params.get("CallStatus"));
      const callId = params.get("CallSid");
      if (status === undefined || !callId)
        throw new OtpError("OTP_INVALID_ARGUMENT", "not a call status callback");
      const timestamp = Date.parse(params.get("Timestamp") ?? "");
      const duration = params.get("CallDuration");
      return {
        callId,
        status,
        timestamp: new Date(Number.isNaN(timestamp) ? Date.now() : timestamp),
        sequence: Number(params.get("SequenceNumber") ?? 0),
        durationSeconds: duration === null ? undefined : Number(duration),
      };
    },

    parseKeyPress(request) {
      const params = verified(options, request);
      const callId = params.get("CallSid");
      if (!callId) throw new OtpError("OTP_INVALID_ARGUMENT", "not a Gather callback");
      return { callId, digits: params.get("Digits") ?? "" };
    },

    keyPressAnswer(locale, code) {
      return {
        contentType: "text/xml",
        body: code === undefined ? goodbyeTwiml(locale) : codeTwiml(locale, code, options.reading),
      };
    },
  };
}

function placeCallForm(options: TwilioAdapterOptions, request: PlaceCallRequest): URLSearchParams {
  const form = new URLSearchParams({
    To: request.to,
    From: request.from,
    Twiml: request.gatherUrl
      ? pressKeyTwiml(request.locale, {
          actionUrl: request.gatherUrl,
          timeoutSeconds: options.gatherTimeoutSeconds,
        })
      : codeTwiml(request.locale, request.code, options.reading),
    StatusCallback: request.statusCallbackUrl,
    StatusCallbackMethod: "POST",
    Timeout: String(options.ringSeconds ?? 30),
  });
  for (const event of ["ringing", "answered", "completed"]) form.append("StatusCallbackEvent", event);
  return form;
}

async function post(account: TwilioAccount, url: string, form: URLSearchParams): Promise<TwilioAnswer> {
  const { options, maxAttempts } = account;
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: {
          authorization: account.authorization,
          "content-type": "application/x-www-form-urlencoded",
          accept: "application/json",
        },
        body: form.toString(),
        signal: AbortSignal.timeout(options.requestTimeoutMs ?? 10_000),
      });
    } catch (cause) {
      const refused = (cause as { cause?: { code?: unknown } }).cause?.code === "ECONNREFUSED";
      // Refused: nothing was sent, safe to try again. Otherwise the call may exist.
      if (refused && attempt < maxAttempts) {
        await sleep(backoff(account, attempt, undefined));
        continue;
      }
      throw refused
        ? new VoiceProviderError(
            "VOICE_NETWORK",
            FailureClass.FAILURE_CLASS_TRANSIENT,
            true,
            undefined,
            cause,
          )
        : new VoiceProviderError(
            "VOICE_TIMEOUT",
            FailureClass.FAILURE_CLASS_UNKNOWN,
            false,
            undefined,
            cause,
          );
    }
    const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    const retryAfter = Number(response.headers.get("retry-after"));
    const answer = {
      status: response.status,
      body,
      retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
    };
    const retryable = response.status === 429 || response.status >= 500;
    if (!retryable || attempt >= maxAttempts) return answer;
    account.logger.debug("voice provider request retried", { attempt, httpStatus: response.status });
    await sleep(backoff(account, attempt, answer.retryAfterMs));
  }
}

function backoff(account: TwilioAccount, attempt: number, retryAfterMs: number | undefined): number {
  return Math.max(
    retryAfterMs ?? 0,
    Math.round(account.random() * account.initialDelay * 2 ** (attempt - 1)),
  );
}

/** The callback's form parameters, once its signature is checked. */
function verified(options: TwilioAdapterOptions, request: SignedRequest): URLSearchParams {
  const params = new URLSearchParams(request.body);
  const header = request.headers["x-twilio-signature"];
  if (
    !verifyTwilioSignature(
      options.authToken,
      request.url,
      params,
      typeof header === "string" ? header : undefined,
    )
  ) {
    throw new OtpError("OTP_UNAUTHENTICATED", "invalid X-Twilio-Signature");
  }
  return params;
}

function callStatus(value: unknown): CallStatus | undefined {
  return typeof value === "string" && (CALL_STATUSES as readonly string[]).includes(value)
    ? (value as CallStatus)
    : undefined;
}

/** Twilio REST errors: `{ code, message, more_info, status }`. */
function providerError(answer: TwilioAnswer): VoiceProviderError {
  const code = typeof answer.body?.code === "number" ? answer.body.code : undefined;
  const reason = code === undefined ? `VOICE_HTTP_${answer.status}` : `VOICE_TWILIO_${code}`;
  const transient = answer.status === 429 || answer.status >= 500;
  const failureClass = transient
    ? FailureClass.FAILURE_CLASS_TRANSIENT
    : FailureClass.FAILURE_CLASS_PERMANENT;
  return new VoiceProviderError(reason, failureClass, transient, answer.status);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
