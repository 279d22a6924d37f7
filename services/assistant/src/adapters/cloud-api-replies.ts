/**
 * Free-form replies through the WhatsApp Cloud API: POST /{version}/{phone-number-id}/messages
 * with `type: "text"`. Allowed inside the 24-hour customer service window the user's own
 * message opened. Retries rate limits and server errors a couple of times, briefly: a reply
 * that cannot go out now is not worth queueing for long.
 */
import { OtpError } from "@domain/errors";
import { parseMessageId } from "@platform/http/whatsapp-cloud/message-id";
import type { ReplySender } from "../ports";

export interface CloudApiReplyOptions {
  baseUrl: string;
  apiVersion: string;
  accessToken: string;
  timeoutMs?: number;
  attempts?: number;
  /** Told the WhatsApp message id of each reply sent. */
  onSent?: (messageId: string) => void;
}

const MAX_TEXT = 4096;

export function createCloudApiReplies(options: CloudApiReplyOptions): ReplySender {
  const base = options.baseUrl.replace(/\/+$/, "");
  const attempts = options.attempts ?? 3;
  return {
    async sendText(phoneNumberId, to, text) {
      const url = `${base}/${options.apiVersion}/${encodeURIComponent(phoneNumberId)}/messages`;
      const body = JSON.stringify({
        messaging_product: "whatsapp",
        recipient_type: "individual",
        to: to.replace(/\D/g, ""),
        type: "text",
        text: { preview_url: false, body: text.slice(0, MAX_TEXT) },
      });
      let status = 0;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          const response = await fetch(url, {
            method: "POST",
            headers: { authorization: `Bearer ${options.accessToken}`, "content-type": "application/json" },
            body,
            signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
          });
          const answer = await response.arrayBuffer();
          if (response.ok) {
            const id = sentMessageId(answer);
            if (id !== undefined) options.onSent?.(id);
            return;
          }
          status = response.status;
          if (status !== 429 && status < 500) break;
        } catch {
          status = 0;
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
      throw new OtpError(
        "CHANNEL_PROVIDER_ERROR",
        `WhatsApp reply not sent (HTTP ${status || "network error"})`,
      );
    },
  };
}

/** `messages[0].id` of the Cloud API's answer, if it is there. */
function sentMessageId(answer: ArrayBuffer): string | undefined {
  try {
    return parseMessageId(JSON.parse(Buffer.from(answer).toString("utf8")));
  } catch {
    return undefined;
  }
}
