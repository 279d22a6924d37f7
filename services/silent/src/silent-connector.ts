/**
 * The silent connector: the operators' redirect URI and the back channel to their Open Gateway.
 * Unlike the other connectors it consumes no dispatch: the device drives it (the app opens the
 * URL StartVerification returned), and routing's step timer covers a device that never comes.
 */
import { topicSpecs } from "@platform/bus/topics";
import type { ChannelService } from "@platform/http/channel-service";
import {
  listenHttp,
  parseListenAddress,
  type HttpHandler,
  type HttpListener,
} from "@platform/http/http-listener";
import { CALLBACK_PATH, createCallbackHandler, type CallbackDeps } from "./callback-handler";

export interface SilentConnectorDeps extends CallbackDeps {
  /** "host:port" to listen on; without it the caller mounts webhookHandler itself. */
  listen?: string;
}

export function createSilentConnector(deps: SilentConnectorDeps): ChannelService {
  const handle = createCallbackHandler(deps);
  const webhookHandler: HttpHandler = (req, res) => {
    handle(req, res).catch((err: unknown) => {
      deps.logger.error("silent callback failed", { error: err instanceof Error ? err.name : "error" });
      if (!res.headersSent) res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ result: "unavailable" }));
    });
  };
  let listener: HttpListener | undefined;
  return {
    webhookHandler,
    get listenUrl() {
      return listener?.url;
    },
    async start() {
      await deps.bus.ensureTopics(topicSpecs(deps.topics));
      if (deps.listen) {
        listener = await listenHttp(webhookHandler, parseListenAddress(deps.listen));
        deps.logger.info("silent callbacks listening", { url: `${listener.url}${CALLBACK_PATH}` });
      }
    },
    async stop() {
      await listener?.close(1_000);
      listener = undefined;
    },
  };
}
