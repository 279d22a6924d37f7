/** What an HTTP channel connector (WhatsApp, voice) gives its composition root. */
import type { HttpHandler } from "./http-listener";

export interface ChannelService {
  /** Ensures the topics, listens when configured to, and joins the consumer group. */
  start(): Promise<void>;
  /** Leaves the group and closes the listener; the bus and store stay open (the caller's). */
  stop(): Promise<void>;
  /** The provider's callbacks, to mount on any node:http server. */
  webhookHandler: HttpHandler;
  /** Where the own listener is, once started with a listen address. */
  readonly listenUrl: string | undefined;
}
