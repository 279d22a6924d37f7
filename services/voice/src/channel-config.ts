/**
 * The voice channel's settings, and reading them from the environment:
 *   VOICE_API_BASE_URL      Twilio-compatible API (default https://api.twilio.com)
 *   VOICE_ACCOUNT_SID       (required)
 *   VOICE_AUTH_TOKEN        API password and callback signature key (required)
 *   VOICE_CALLER_IDS        tenant=+E164,… with "*" for tenants not listed (required)
 *   VOICE_PUBLIC_BASE_URL   the URL the provider calls back, e.g. https://otp.example.com (required)
 *   VOICE_STATUS_PATH       default /voice/status
 *   VOICE_KEY_PRESS_PATH    default /voice/key
 *   VOICE_KEY_PRESS         "press 1 to hear your code" before reading it (default false)
 *   VOICE_CALLS_PER_SECOND  default 3
 *   VOICE_RING_SECONDS      default 30
 *   VOICE_WEBHOOK_LISTEN    host:port of the callback server (default 0.0.0.0:8082)
 *   VOICE_CONSUMER_GROUP    default voice-connector
 */
import { address, bool, type Env, int, readConfig, secret, str } from "@platform/config";
import { OtpError } from "@domain/errors";
import { httpUrl, keyValues } from "@platform/http/config-fields";

export interface VoiceChannelConfig {
  baseUrl: string;
  accountSid: string;
  authToken: string;
  /** Tenant → caller id (E.164); "*" for tenants not listed. */
  callerIds: Record<string, string>;
  /**
   * What the provider calls: callback URLs are this + the paths (signatures cover them).
   * Absent: the own listener's URL (development and tests).
   */
  publicBaseUrl?: string;
  statusPath: string;
  keyPressPath: string;
  keyPress: boolean;
  callsPerSecond: number;
  ringSeconds: number;
  /** host:port; absent: the caller mounts `webhookHandler` on its own server. */
  webhookListen?: string;
  maxBodyBytes?: number;
  groupId: string;
  minRemainingSeconds?: number;
  maxQueueDelayMs?: number;
  /** Provider request retries (default 3 attempts, 200 ms first backoff). */
  maxAttempts?: number;
  initialRetryDelayMs?: number;
}

const E164 = /^\+\d{8,15}$/;

const SPEC = {
  VOICE_API_BASE_URL: httpUrl("https://api.twilio.com"),
  VOICE_ACCOUNT_SID: str(),
  VOICE_AUTH_TOKEN: secret(),
  VOICE_CALLER_IDS: keyValues(undefined, (id) =>
    E164.test(id) ? undefined : `caller id "${id}" must be E.164`,
  ),
  VOICE_PUBLIC_BASE_URL: httpUrl(),
  VOICE_STATUS_PATH: str("/voice/status"),
  VOICE_KEY_PRESS_PATH: str("/voice/key"),
  VOICE_KEY_PRESS: bool(false),
  VOICE_CALLS_PER_SECOND: int(3, { min: 1, max: 100 }),
  VOICE_RING_SECONDS: int(30, { min: 5, max: 600 }),
  VOICE_WEBHOOK_LISTEN: address("0.0.0.0:8082"),
  VOICE_CONSUMER_GROUP: str("voice-connector"),
};

/** Throws CONFIG_INVALID listing every problem. */
export function voiceConfigFromEnv(env: Env = process.env): VoiceChannelConfig {
  const c = readConfig(SPEC, env);
  const problems = [c.VOICE_STATUS_PATH, c.VOICE_KEY_PRESS_PATH]
    .filter((path) => !path.startsWith("/"))
    .map((path) => `callback path ${path} must start with /`);
  if (c.VOICE_STATUS_PATH === c.VOICE_KEY_PRESS_PATH) problems.push("status and key-press paths must differ");
  if (problems.length > 0) {
    throw new OtpError("CONFIG_INVALID", `invalid configuration:\n  - ${problems.join("\n  - ")}`);
  }
  return {
    baseUrl: c.VOICE_API_BASE_URL,
    accountSid: c.VOICE_ACCOUNT_SID,
    authToken: c.VOICE_AUTH_TOKEN,
    callerIds: c.VOICE_CALLER_IDS,
    publicBaseUrl: c.VOICE_PUBLIC_BASE_URL,
    statusPath: c.VOICE_STATUS_PATH,
    keyPressPath: c.VOICE_KEY_PRESS_PATH,
    keyPress: c.VOICE_KEY_PRESS,
    callsPerSecond: c.VOICE_CALLS_PER_SECOND,
    ringSeconds: c.VOICE_RING_SECONDS,
    webhookListen: c.VOICE_WEBHOOK_LISTEN,
    groupId: c.VOICE_CONSUMER_GROUP,
  };
}
