/**
 * The `/metrics` endpoint of a service: Prometheus text format from the process's registry, on
 * its own listener so scrapes never queue behind gRPC or webhook traffic.
 *
 *   METRICS_LISTEN   host:port, or "off"; default 127.0.0.1:<9464 + the service's offset>
 *
 * Default ports, one per service so that several run side by side on one machine:
 * issuance 9464, verification 9465, routing 9466, gateway-smpp 9467, whatsapp 9468, voice 9469,
 * assistant 9470, silent 9471.
 * In containers set METRICS_LISTEN=0.0.0.0:9464 (each container has its own network).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import { OtpError } from "@domain/errors";
import type { Env } from "../config";
import { listenHttp, parseListenAddress, type HttpListener } from "../http/http-listener";

const METRICS_BASE_PORT = 9464;

const METRICS_PORT_OFFSETS: Readonly<Record<string, number>> = {
  issuance: 0,
  verification: 1,
  routing: 2,
  "gateway-smpp": 3,
  whatsapp: 4,
  voice: 5,
  assistant: 6,
  silent: 7,
};

/** Where the service's /metrics listens, or undefined when switched off. */
export function metricsListenFromEnv(env: Env, service: string): { host: string; port: number } | undefined {
  const raw = env.METRICS_LISTEN?.trim();
  if (raw === "off" || raw === "none") return undefined;
  if (raw === undefined || raw === "") {
    return { host: "127.0.0.1", port: METRICS_BASE_PORT + (METRICS_PORT_OFFSETS[service] ?? 0) };
  }
  try {
    return parseListenAddress(raw);
  } catch {
    throw new OtpError("CONFIG_INVALID", `METRICS_LISTEN=${JSON.stringify(raw)}: expected host:port or off`);
  }
}

export async function startMetricsServer(
  registry: Registry,
  address: { host: string; port: number },
): Promise<HttpListener> {
  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    if (request.method !== "GET" || path !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { "content-type": registry.contentType }).end(text),
      () => response.writeHead(500, { "content-type": "text/plain" }).end("metrics unavailable\n"),
    );
  };
  return listenHttp(handler, address, { requestTimeoutMs: 10_000 });
}
