/**
 * The assistant's settings, and reading them from the environment:
 *   ASSISTANT_TENANTS              phone-number-id=tenant,… : which tenant each business number serves (required)
 *   ASSISTANT_MESSAGES_PER_MINUTE  per sender (default 10); then one notice, then silence
 *   ASSISTANT_RESENDS_PER_HOUR     resend offers and resends per sender (default 3)
 *   ASSISTANT_HANDOFF_TOPIC        default <OTP_TOPIC_PREFIX>otp.support.v1
 *   ASSISTANT_INBOUND_TOPIC        default <OTP_TOPIC_PREFIX>otp.support.inbound.v1 (messages taken in)
 *   ASSISTANT_CONSUMER_GROUP       default assistant (the replicas handling the inbound topic)
 *   ASSISTANT_WEBHOOK_LISTEN       host:port of its own webhook (default 0.0.0.0:8083)
 *   ASSISTANT_WEBHOOK_PATH         default /whatsapp/webhook
 *   WHATSAPP_API_BASE_URL, WHATSAPP_API_VERSION, WHATSAPP_ACCESS_TOKEN, WHATSAPP_APP_SECRET,
 *   WHATSAPP_VERIFY_TOKEN          as for the WhatsApp connector (replies and webhook signature)
 */
import { address, int, readConfig, secret, str, type Env } from "@platform/config";
import { OtpError } from "@domain/errors";
import { isPrincipalName } from "@platform/grpc/identity";
import { httpUrl, keyValues } from "@platform/http/config-fields";
import { SUPPORT_TOPIC } from "./adapters/handoff-publisher";
import { INBOUND_TOPIC } from "./adapters/inbound-event";

export interface AssistantConfig {
  /** Business phone number id → tenant. */
  tenants: Record<string, string>;
  messagesPerMinute: number;
  resendOffersPerHour: number;
  handoffTopic: string;
  /** Where the webhook writes the messages it takes in, and the group that handles them. */
  inboundTopic: string;
  groupId: string;
  whatsapp: {
    baseUrl: string;
    apiVersion: string;
    accessToken: string;
    appSecret: string;
    verifyToken: string;
  };
  webhookPath: string;
  /** Absent: the caller mounts the webhook handler (or feeds messages in). */
  webhookListen?: string;
}

const SPEC = {
  ASSISTANT_TENANTS: keyValues(undefined, (tenant) =>
    isPrincipalName(tenant) ? undefined : `"${tenant}" is not a tenant name`,
  ),
  ASSISTANT_MESSAGES_PER_MINUTE: int(10, { min: 1, max: 600 }),
  ASSISTANT_RESENDS_PER_HOUR: int(3, { min: 1, max: 100 }),
  ASSISTANT_HANDOFF_TOPIC: str(""),
  ASSISTANT_INBOUND_TOPIC: str(""),
  ASSISTANT_CONSUMER_GROUP: str("assistant"),
  ASSISTANT_WEBHOOK_LISTEN: address("0.0.0.0:8083"),
  ASSISTANT_WEBHOOK_PATH: str("/whatsapp/webhook"),
  OTP_TOPIC_PREFIX: str(""),
  WHATSAPP_API_BASE_URL: httpUrl("https://graph.facebook.com"),
  WHATSAPP_API_VERSION: str("v21.0"),
  WHATSAPP_ACCESS_TOKEN: secret(),
  WHATSAPP_APP_SECRET: secret(),
  WHATSAPP_VERIFY_TOKEN: secret(),
};

/** Throws CONFIG_INVALID listing every problem. */
export function assistantConfigFromEnv(env: Env = process.env): AssistantConfig {
  const c = readConfig(SPEC, env);
  for (const id of Object.keys(c.ASSISTANT_TENANTS)) {
    if (!/^\d{5,20}$/.test(id)) {
      throw new OtpError("CONFIG_INVALID", `ASSISTANT_TENANTS: phone number id "${id}" must be digits`);
    }
  }
  if (!c.ASSISTANT_WEBHOOK_PATH.startsWith("/")) {
    throw new OtpError("CONFIG_INVALID", "ASSISTANT_WEBHOOK_PATH must start with /");
  }
  return {
    tenants: c.ASSISTANT_TENANTS,
    messagesPerMinute: c.ASSISTANT_MESSAGES_PER_MINUTE,
    resendOffersPerHour: c.ASSISTANT_RESENDS_PER_HOUR,
    handoffTopic: c.ASSISTANT_HANDOFF_TOPIC || `${c.OTP_TOPIC_PREFIX}${SUPPORT_TOPIC}`,
    inboundTopic: c.ASSISTANT_INBOUND_TOPIC || `${c.OTP_TOPIC_PREFIX}${INBOUND_TOPIC}`,
    groupId: c.ASSISTANT_CONSUMER_GROUP,
    whatsapp: {
      baseUrl: c.WHATSAPP_API_BASE_URL,
      apiVersion: c.WHATSAPP_API_VERSION,
      accessToken: c.WHATSAPP_ACCESS_TOKEN,
      appSecret: c.WHATSAPP_APP_SECRET,
      verifyToken: c.WHATSAPP_VERIFY_TOKEN,
    },
    webhookPath: c.ASSISTANT_WEBHOOK_PATH,
    webhookListen: c.ASSISTANT_WEBHOOK_LISTEN,
  };
}
