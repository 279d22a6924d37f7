/**
 * The voice provider's callbacks as a plain node:http handler, mounted on any server:
 *   POST {statusPath}    call status callbacks → receipts; 204
 *   POST {keyPressPath}  the "press 1" prompt's key press → TwiML to play
 * Bodies over maxBodyBytes → 413; a bad or missing signature → 401; not a callback → 400.
 * Signatures cover the public URL the provider called: `publicBaseUrl` + the request path and
 * query (set it to what the provider is configured with, e.g. behind a proxy).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { isOtpError } from "@domain/errors";
import { silentLogger, type Logger } from "@platform/log";
import { BodyTooLargeError, readRawBody } from "@platform/http/raw-body";
import type { VoiceConnector } from "./voice-connector";
import type { SignedRequest } from "./voice-provider";

export interface VoiceWebhookOptions {
  connector: VoiceConnector;
  /** e.g. https://otp.example.com (a function when known only once listening). */
  publicBaseUrl: string | (() => string);
  statusPath: string;
  keyPressPath: string;
  maxBodyBytes?: number;
  logger?: Logger;
}

export function createVoiceWebhookHandler(
  options: VoiceWebhookOptions,
): (request: IncomingMessage, response: ServerResponse) => void {
  const limit = options.maxBodyBytes ?? 64 * 1024;
  const logger = options.logger ?? silentLogger();
  const base = (): string =>
    (typeof options.publicBaseUrl === "function" ? options.publicBaseUrl() : options.publicBaseUrl).replace(
      /\/+$/,
      "",
    );

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const known = path === options.statusPath || path === options.keyPressPath;
    if (!known) return sendError(response, 404, "no such callback");
    if (request.method !== "POST") return sendError(response, 405, "method not allowed");
    const signed: SignedRequest = {
      url: base() + (request.url ?? "/"),
      headers: request.headers,
      body: (await readRawBody(request, limit)).toString("utf8"),
    };
    if (path === options.statusPath) {
      await options.connector.handleStatusCallback(signed);
      response.writeHead(204).end();
      return;
    }
    const document = await options.connector.handleKeyPress(signed);
    response.writeHead(200, { "content-type": document.contentType }).end(document.body);
  };

  return (request, response) => {
    handle(request, response).catch((err: unknown) => {
      if (response.headersSent) return;
      if (err instanceof BodyTooLargeError) {
        response.setHeader("connection", "close");
        return sendError(response, 413, err.message);
      }
      if (isOtpError(err) && err.code === "OTP_UNAUTHENTICATED") {
        logger.warn("voice callback signature rejected");
        return sendError(response, 401, "invalid or missing X-Twilio-Signature");
      }
      if (isOtpError(err) && err.code === "OTP_INVALID_ARGUMENT")
        return sendError(response, 400, err.message);
      logger.error("voice callback handling failed", { err });
      sendError(response, 500, "handling failed; deliver again");
    });
  };
}

function sendError(response: ServerResponse, status: number, message: string): void {
  response
    .writeHead(status, { "content-type": "application/json" })
    .end(JSON.stringify({ error: { message } }));
}
