/**
 * A node:http server for webhook handlers, with a graceful close: new connections are refused,
 * idle keep-alive connections closed, requests in flight get `graceMs` to finish. Open
 * connections are capped (`maxConnections`, default 1000): past it a new connection is closed on
 * arrival, so a flood of idle or slow connections cannot exhaust the process's sockets.
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

const DEFAULT_MAX_HTTP_CONNECTIONS = 1000;

/** For the simulators of third parties (loopback, tests and benches). */
export const SIMULATOR_HTTP_LIMITS: HttpListenOptions = { maxConnections: 10_000 };

export interface HttpListenOptions {
  requestTimeoutMs?: number;
  /** Open connections at most (default 1000). */
  maxConnections?: number;
  /** Told of each connection closed for the cap. */
  onRefused?: () => void;
}

export async function listenHttp(
  handler: HttpHandler,
  address: { host: string; port: number },
  options: HttpListenOptions = {},
): Promise<HttpListener> {
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const server: Server = createServer(
    // Headers must arrive within 10 s: a connection that trickles them holds a place otherwise.
    { requestTimeout, headersTimeout: Math.min(10_000, requestTimeout) },
    handler,
  );
  capConnections(server, options);
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

/** Node closes connections past `maxConnections` on arrival and emits "drop" for each. */
export function capConnections(
  server: Server,
  options: Pick<HttpListenOptions, "maxConnections" | "onRefused">,
): void {
  server.maxConnections = options.maxConnections ?? DEFAULT_MAX_HTTP_CONNECTIONS;
  const onRefused = options.onRefused;
  if (onRefused) server.on("drop", () => onRefused());
}
