/**
 * The WhatsApp channel's settings, and reading them from the environment:
 *   WHATSAPP_API_BASE_URL     default https://graph.facebook.com
 *   WHATSAPP_API_VERSION      default v21.0
 *   WHATSAPP_ACCESS_TOKEN     system user token (required)
 *   WHATSAPP_SENDERS          name=phone-number-id,… in default order (required)
 *   WHATSAPP_TENANT_SENDERS   tenant=name|name,… (others use every sender, in order)
 *   WHATSAPP_SENDER_<NAME>_BASE_URL / _ACCESS_TOKEN / _TEMPLATE / _MPS
 *                             per-sender overrides (another BSP or region, its own token)
 *   WHATSAPP_TEMPLATE         template name when the tenant policy has none (otp_authentication)
 *   WHATSAPP_TTL_MODE         template | message (default template, see README)
 *   WHATSAPP_APP_SECRET       webhook signature key (required)
 *   WHATSAPP_VERIFY_TOKEN     webhook handshake token (required)
 *   WHATSAPP_WEBHOOK_PATH     default /whatsapp/webhook
 *   WHATSAPP_WEBHOOK_LISTEN   host:port of the webhook server (default 0.0.0.0:8081)
 *   WHATSAPP_CONSUMER_GROUP   default whatsapp-connector
 */
import { address, type Env, oneOf, readConfig, secret, str } from "@platform/config";
import { OtpError } from "@domain/errors";
import { envNamePart, httpUrl, isHttpUrl, keyValues } from "@platform/http/config-fields";
import type { TtlMode } from "./cloud-api-client";
import type { RetryPolicy } from "./retry-policy";
import type { BreakerOptions } from "./sender-health";

export interface WhatsAppSenderConfig {
  /** Route name in receipts. */
  name: string;
  phoneNumberId: string;
  /** Defaults to the channel's. */
  baseUrl?: string;
  accessToken?: string;
  templateName?: string;
  messagesPerSecond?: number;
}

export interface WhatsAppChannelConfig {
  baseUrl: string;
  apiVersion: string;
  accessToken: string;
  ttlMode: TtlMode;
  /** Every sender, in default order. */
  senders: WhatsAppSenderConfig[];
  /** Tenant → sender names in order; "*" for tenants not listed (default: every sender). */
  tenantSenders: Record<string, string[]>;
  templateName: string;
  appSecret: string;
  verifyToken: string;
  webhookPath: string;
  /** host:port; absent: the caller mounts `webhookHandler` on its own server. */
  webhookListen?: string;
  maxBodyBytes?: number;
  groupId: string;
  retry?: Partial<RetryPolicy>;
  breaker?: Partial<BreakerOptions>;
  minRemainingSeconds?: number;
  /** How long wamid references and claims outlive the code (default 1 hour). */
  correlationGraceMs?: number;
  /** How long a status that beat the send's answer is looked up again (default 2 s). */
  unknownStatusHoldMs?: number;
}

const SPEC = {
  WHATSAPP_API_BASE_URL: httpUrl("https://graph.facebook.com"),
  WHATSAPP_API_VERSION: str("v21.0"),
  WHATSAPP_ACCESS_TOKEN: secret(),
  WHATSAPP_SENDERS: keyValues(undefined, (id) =>
    /^\d{5,20}$/.test(id) ? undefined : `phone number id "${id}" must be digits`,
  ),
  WHATSAPP_TENANT_SENDERS: keyValues({}),
  WHATSAPP_TEMPLATE: str("otp_authentication"),
  WHATSAPP_TTL_MODE: oneOf(["template", "message"] as const, "template"),
  WHATSAPP_APP_SECRET: secret(),
  WHATSAPP_VERIFY_TOKEN: secret(),
  WHATSAPP_WEBHOOK_PATH: str("/whatsapp/webhook"),
  WHATSAPP_WEBHOOK_LISTEN: address("0.0.0.0:8081"),
  WHATSAPP_CONSUMER_GROUP: str("whatsapp-connector"),
};

/** Throws CONFIG_INVALID listing every problem. */
export function whatsAppConfigFromEnv(env: Env = process.env): WhatsAppChannelConfig {
  const c = readConfig(SPEC, env);
  const problems: string[] = [];
  const senders = Object.entries(c.WHATSAPP_SENDERS).map(([name, phoneNumberId]) =>
    senderFromEnv(env, name, phoneNumberId, problems),
  );
  const known = new Set(senders.map((s) => s.name));
  const tenantSenders: Record<string, string[]> = {};
  for (const [tenant, names] of Object.entries(c.WHATSAPP_TENANT_SENDERS)) {
    tenantSenders[tenant] = names.split("|").map((n) => n.trim());
    for (const name of tenantSenders[tenant]) {
      if (!known.has(name))
        problems.push(`WHATSAPP_TENANT_SENDERS: ${tenant} names unknown sender "${name}"`);
    }
  }
  if (!c.WHATSAPP_WEBHOOK_PATH.startsWith("/")) problems.push("WHATSAPP_WEBHOOK_PATH must start with /");
  if (problems.length > 0) {
    throw new OtpError("CONFIG_INVALID", `invalid configuration:\n  - ${problems.join("\n  - ")}`);
  }
  return {
    baseUrl: c.WHATSAPP_API_BASE_URL,
    apiVersion: c.WHATSAPP_API_VERSION,
    accessToken: c.WHATSAPP_ACCESS_TOKEN,
    ttlMode: c.WHATSAPP_TTL_MODE,
    senders,
    tenantSenders,
    templateName: c.WHATSAPP_TEMPLATE,
    appSecret: c.WHATSAPP_APP_SECRET,
    verifyToken: c.WHATSAPP_VERIFY_TOKEN,
    webhookPath: c.WHATSAPP_WEBHOOK_PATH,
    webhookListen: c.WHATSAPP_WEBHOOK_LISTEN,
    groupId: c.WHATSAPP_CONSUMER_GROUP,
  };
}

function senderFromEnv(
  env: Env,
  name: string,
  phoneNumberId: string,
  problems: string[],
): WhatsAppSenderConfig {
  const prefix = `WHATSAPP_SENDER_${envNamePart(name)}_`;
  const value = (suffix: string): string | undefined => {
    const raw = env[prefix + suffix];
    return raw === undefined || raw === "" ? undefined : raw;
  };
  const baseUrl = value("BASE_URL");
  if (baseUrl !== undefined && !isHttpUrl(baseUrl)) {
    problems.push(`${prefix}BASE_URL: expected an http(s) URL`);
  }
  const mps = value("MPS");
  if (mps !== undefined && !/^\d{1,4}$/.test(mps))
    problems.push(`${prefix}MPS: expected messages per second`);
  return {
    name,
    phoneNumberId,
    baseUrl: baseUrl?.replace(/\/+$/, ""),
    accessToken: value("ACCESS_TOKEN"),
    templateName: value("TEMPLATE"),
    messagesPerSecond: mps === undefined || Number(mps) === 0 ? undefined : Number(mps),
  };
}
