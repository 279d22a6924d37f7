/**
 * Posts webhook notifications the way Meta does: JSON, signed with the app secret in
 * X-Hub-Signature-256, retried a few times when the receiver does not answer 200.
 */
import { signWebhookBody } from "@platform/http/whatsapp-cloud/webhook-signature";

export interface StatusNotice {
  phoneNumberId: string;
  messageId: string;
  status: "sent" | "delivered" | "read" | "failed";
  recipientId: string;
  timestamp: Date;
  error?: { code: number; title: string };
}

export interface InboundNotice {
  phoneNumberId: string;
  from: string;
  messageId: string;
  text: string;
  timestamp: Date;
}

export interface WebhookPoster {
  post(body: unknown): Promise<boolean>;
}

const unix = (d: Date): string => String(Math.floor(d.getTime() / 1000));

function envelope(wabaId: string, phoneNumberId: string, value: Record<string, unknown>): unknown {
  return {
    object: "whatsapp_business_account",
    entry: [
      {
        id: wabaId,
        changes: [
          {
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: phoneNumberId, phone_number_id: phoneNumberId },
              ...value,
            },
            field: "messages",
          },
        ],
      },
    ],
  };
}

export function statusWebhook(wabaId: string, notice: StatusNotice): unknown {
  const status: Record<string, unknown> = {
    id: notice.messageId,
    status: notice.status,
    timestamp: unix(notice.timestamp),
    recipient_id: notice.recipientId,
  };
  if (notice.status !== "failed") {
    status.pricing = { billable: true, pricing_model: "PMP", category: "authentication" };
  }
  if (notice.error) {
    status.errors = [
      {
        code: notice.error.code,
        title: notice.error.title,
        message: notice.error.title,
        error_data: { details: notice.error.title },
        href: "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
      },
    ];
  }
  return envelope(wabaId, notice.phoneNumberId, { statuses: [status] });
}

export function inboundWebhook(wabaId: string, notice: InboundNotice): unknown {
  return envelope(wabaId, notice.phoneNumberId, {
    contacts: [{ profile: { name: "Simulated user" }, wa_id: notice.from }],
    messages: [
      {
        from: notice.from,
        id: notice.messageId,
        timestamp: unix(notice.timestamp),
        type: "text",
        text: { body: notice.text },
      },
    ],
  });
}

export function createWebhookPoster(options: {
  url: string;
  appSecret: string;
  attempts?: number;
}): WebhookPoster {
  const attempts = options.attempts ?? 3;
  return {
    async post(body) {
      const raw = JSON.stringify(body);
      const signature = signWebhookBody(options.appSecret, raw);
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          const response = await fetch(options.url, {
            method: "POST",
            headers: { "content-type": "application/json", "x-hub-signature-256": signature },
            body: raw,
            signal: AbortSignal.timeout(10_000),
          });
          await response.arrayBuffer();
          if (response.status === 200) return true;
        } catch {
          // Receiver down: try again below.
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
      return false;
    },
  };
}
