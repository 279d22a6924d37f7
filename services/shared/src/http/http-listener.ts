/**
 * A node:http server for webhook handlers, with a graceful close: new connections are refused,
 * idle keep-alive connections closed, requests in flight get `graceMs` to finish.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export type HttpHandler = (request: IncomingMessage, response: ServerResponse) => void;

export interface HttpListener {
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** http://host:port */
  readonly url: string;
  close(graceMs?: number): Promise<void>;
}

/** Parses "host:port" or "[v6]:port"; port 0 picks a free one. */
export function parseListenAddress(address: string): { host: string; port: number } {
  const match = /^(\[[0-9a-f:]+\]|[^\s:]+):(\d{1,5})$/i.exec(address);
  if (!match?.[1] || match[2] === undefined) throw new RangeError(`expected host:port, got ${address}`);
  return { host: match[1].replace(/^\[|\]$/g, ""), port: Number(match[2]) };
}

export async function listenHttp(
  handler: HttpHandler,
  address: { host: string; port: number },
  options: { requestTimeoutMs?: number } = {},
): Promise<HttpListener> {
  const server: Server = createServer({ requestTimeout: options.requestTimeoutMs ?? 30_000 }, handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(address.port, address.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address();
  const port = typeof bound === "object" && bound !== null ? bound.port : address.port;
  const host = address.host.includes(":") ? `[${address.host}]` : address.host;
  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://${host}:${port}`,
    close: (graceMs = 5_000) =>
      (closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      })),
  };
}
