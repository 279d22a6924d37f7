/**
 * The WhatsApp webhook endpoint as a plain node:http handler, to mount on any server at the
 * callback URL configured in Meta's app dashboard.
 *   GET  verification handshake: hub.mode=subscribe and hub.verify_token matching → 200 with
 *        hub.challenge; otherwise 403.
 *   POST body ≤ maxBodyBytes (else 413), X-Hub-Signature-256 valid (else 401), JSON (else 400),
 *        then statuses → onStatuses, user messages → onMessages; 200 once handled, 500 if the
 *        handling failed so Meta delivers the batch again.
 * Errors answer `{ "error": { "message": … } }` and the endpoint keeps serving.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { silentLogger, type Logger } from "../../log";
import type { HttpHandler } from "../http-listener";
import { BodyTooLargeError, readRawBody } from "../raw-body";
import { parseWebhookBatch, type InboundMessage, type WebhookStatus } from "./webhook-payload";
import { constantTimeEquals, verifyWebhookSignature } from "./webhook-signature";

export interface WhatsAppWebhookOptions {
  verifyToken: string;
  appSecret: string;
  onStatuses: (statuses: WebhookStatus[]) => Promise<void>;
  /** User messages (for the support assistant); dropped when absent. */
  onMessages?: (messages: InboundMessage[]) => Promise<void>;
  maxBodyBytes?: number;
  logger?: Logger;
}

export function createWhatsAppWebhookHandler(options: WhatsAppWebhookOptions): HttpHandler {
  const limit = options.maxBodyBytes ?? 256 * 1024;
  const logger = options.logger ?? silentLogger();

  const handshake = (request: IncomingMessage, response: ServerResponse): void => {
    const query = new URL(request.url ?? "/", "http://localhost").searchParams;
    const token = query.get("hub.verify_token") ?? "";
    const challenge = query.get("hub.challenge") ?? "";
    if (query.get("hub.mode") === "subscribe" && constantTimeEquals(token, options.verifyToken)) {
      response.writeHead(200, { "content-type": "text/plain" }).end(challenge);
      return;
    }
    logger.warn("whatsapp webhook handshake refused");
    sendError(response, 403, "verification failed");
  };

  const notify = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    let raw: Buffer;
    try {
      raw = await readRawBody(request, limit);
    } catch (err) {
      if (!(err instanceof BodyTooLargeError)) throw err;
      logger.warn("whatsapp webhook body too large", { limit });
      // Stop reading the rest; the connection cannot be reused.
      response.setHeader("connection", "close");
      return sendError(response, 413, `body larger than ${limit} bytes`);
    }
    const signature = request.headers["x-hub-signature-256"];
    if (
      !verifyWebhookSignature(options.appSecret, raw, typeof signature === "string" ? signature : undefined)
    ) {
      logger.warn("whatsapp webhook signature rejected", { present: signature !== undefined });
      return sendError(response, 401, "invalid or missing X-Hub-Signature-256");
    }
    let batch;
    try {
      batch = parseWebhookBatch(JSON.parse(raw.toString("utf8")));
    } catch (err) {
      // JSON.parse's own message quotes the input: never echo it.
      const why = err instanceof TypeError ? err.message : "invalid JSON";
      return sendError(response, 400, `malformed webhook body: ${why}`);
    }
    if (batch.statuses.length > 0) await options.onStatuses(batch.statuses);
    if (batch.messages.length > 0 && options.onMessages) await options.onMessages(batch.messages);
    response.writeHead(200, { "content-type": "text/plain" }).end("EVENT_RECEIVED");
  };

  return (request, response) => {
    const work =
      request.method === "GET"
        ? Promise.resolve(handshake(request, response))
        : request.method === "POST"
          ? notify(request, response)
          : Promise.resolve(sendError(response, 405, "method not allowed"));
    work.catch((err: unknown) => {
      logger.error("whatsapp webhook handling failed", { err });
      if (!response.headersSent) sendError(response, 500, "handling failed; deliver again");
    });
  };
}

function sendError(response: ServerResponse, status: number, message: string): void {
  response
    .writeHead(status, { "content-type": "application/json" })
    .end(JSON.stringify({ error: { message } }));
}
