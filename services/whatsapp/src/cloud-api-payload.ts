/**
 * The Cloud API wire format for authentication templates (pure). The code goes twice: as the
 * body parameter and as the copy-code button's parameter (button sub_type "url", index "0";
 * OTP buttons become URL buttons once the template is created).
 * developers.facebook.com/docs/whatsapp/cloud-api/guides/send-message-templates/auth-otp-template-messages
 */

export interface AuthTemplateMessage {
  to: string;
  templateName: string;
  /** WhatsApp language code, e.g. "id", "en_US". */
  language: string;
  code: string;
  /**
   * Direct Send's per-message `ttl_seconds` (beta; 30–900 s for authentication). Omitted when
   * the template's own `message_send_ttl_seconds` governs.
   */
  ttlSeconds?: number;
}

export interface SendMessageBody {
  messaging_product: "whatsapp";
  recipient_type: "individual";
  to: string;
  type: "template";
  template: {
    name: string;
    language: { code: string };
    components: Array<{
      type: "body" | "button";
      sub_type?: "url";
      index?: string;
      parameters: Array<{ type: "text"; text: string }>;
    }>;
  };
  ttl_seconds?: number;
}

/** Meta's bounds for authentication message TTLs. */
export const AUTH_TTL_MIN_SECONDS = 30;
export const AUTH_TTL_MAX_SECONDS = 900;

export function buildAuthTemplateBody(message: AuthTemplateMessage): SendMessageBody {
  const parameter = [{ type: "text" as const, text: message.code }];
  const body: SendMessageBody = {
    messaging_product: "whatsapp",
    recipient_type: "individual",
    to: message.to.replace(/^\+/, ""),
    type: "template",
    template: {
      name: message.templateName,
      language: { code: message.language },
      components: [
        { type: "body", parameters: parameter },
        { type: "button", sub_type: "url", index: "0", parameters: parameter },
      ],
    },
  };
  if (message.ttlSeconds !== undefined) body.ttl_seconds = message.ttlSeconds;
  return body;
}

/** Our locales → WhatsApp template language codes (the template must exist in that language). */
const LANGUAGES: Record<string, string> = {
  "id-ID": "id",
  "en-US": "en_US",
  "en-GB": "en_GB",
  "ms-MY": "ms",
  "th-TH": "th",
  "vi-VN": "vi",
  "fil-PH": "fil",
  "zh-CN": "zh_CN",
};

const BY_LANGUAGE: Record<string, string> = {
  id: "id",
  en: "en_US",
  ms: "ms",
  th: "th",
  vi: "vi",
  fil: "fil",
};

export function whatsAppLanguage(
  locale: string,
  overrides: Record<string, string> = {},
  fallback = "en_US",
): string {
  const exact = overrides[locale] ?? LANGUAGES[locale];
  if (exact !== undefined) return exact;
  const language = locale.split(/[-_]/)[0]?.toLowerCase() ?? "";
  return overrides[language] ?? BY_LANGUAGE[language] ?? fallback;
}

export interface GraphError {
  code: number | undefined;
  message: string;
  fbtraceId: string | undefined;
}

/** Reads `{ error: { code, message, fbtrace_id } }`; undefined when the body is not that. */
export function parseGraphError(body: unknown): GraphError | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { code?: unknown; message?: unknown; fbtrace_id?: unknown };
  return {
    code: typeof e.code === "number" ? e.code : undefined,
    message: typeof e.message === "string" ? e.message : "",
    fbtraceId: typeof e.fbtrace_id === "string" ? e.fbtrace_id : undefined,
  };
}
