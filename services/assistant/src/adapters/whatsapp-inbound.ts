/**
 * From the WhatsApp webhook to the assistant: text messages only (a photo or a voice note is
 * not read), and the webhook endpoint for the assistant running on its own (signature checked
 * as for status webhooks; statuses of its own replies are not needed and are dropped).
 */
import type { HttpHandler } from "@platform/http/http-listener";
import type { Logger } from "@platform/log";
import { createWhatsAppWebhookHandler } from "@platform/http/whatsapp-cloud/webhook-handler";
import type { InboundMessage } from "@platform/http/whatsapp-cloud/webhook-payload";
import type { IncomingText } from "../assistant";

export function textMessages(
  messages: readonly InboundMessage[],
): Array<IncomingText & { receivedAt: Date }> {
  return messages.flatMap((m) => {
    const text = m.raw.text;
    const body = typeof text === "object" && text !== null ? (text as { body?: unknown }).body : undefined;
    if (m.type !== "text" || typeof body !== "string" || m.from === "") return [];
    return [{ id: m.id, from: m.from, phoneNumberId: m.phoneNumberId, text: body, receivedAt: m.timestamp }];
  });
}

export function createAssistantWebhook(options: {
  appSecret: string;
  verifyToken: string;
  path: string;
  onMessages: (messages: InboundMessage[]) => Promise<void>;
  logger: Logger;
}): HttpHandler {
  const handler = createWhatsAppWebhookHandler({
    appSecret: options.appSecret,
    verifyToken: options.verifyToken,
    onStatuses: async () => undefined,
    onMessages: options.onMessages,
    logger: options.logger,
  });
  return (request, response) => {
    if (new URL(request.url ?? "/", "http://localhost").pathname === options.path)
      return handler(request, response);
    response.writeHead(404, { "content-type": "application/json" }).end('{"error":{"message":"not found"}}');
  };
}
