/**
 * HTTP control of the simulator (node:http, JSON):
 *   GET /inbox?phone=62812...   messages one handset received   GET /inbox   all of them
 *   GET /inbox/stream[?phone=]  every message from now on as it arrives: newline-delimited JSON,
 *                               one InboxMessage a line, held open (a load generator's handsets
 *                               read codes from it without polling)
 *   DELETE /inbox               forget them                     GET /stats   counters
 *   GET /scenario               the scenario in force           PUT /scenario replace it
 *   POST /connections/drop[?unbind=1]   drop every connection now (an SMSC restarting)
 *   POST /connections/mute      the connections open now go half-open (up, never answered)
 * The inbox holds message text on purpose (it plays the handsets); bind it to loopback.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { isOtpError } from "@domain/errors";
import { capConnections } from "@platform/http/http-listener";
import { normalisePhone, type InboxMessage } from "./inbox";
import type { SmscSimulator } from "./smsc-simulator";

export interface ControlApi {
  readonly port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1 << 20;

export async function startControlApi(
  simulator: SmscSimulator,
  port: number,
  host = "127.0.0.1",
): Promise<ControlApi> {
  const streams = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    if (request.method === "GET" && request.url?.startsWith("/inbox/stream")) {
      streamInbox(simulator, request, response, streams);
      return;
    }
    handle(simulator, request, response).catch((err: unknown) => {
      const status = isOtpError(err) && err.code === "CONFIG_INVALID" ? 400 : 500;
      send(response, status, { error: err instanceof Error ? err.message : "error" });
    });
  });
  capConnections(server, {});
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address !== null ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const stream of streams) stream.end();
        server.closeIdleConnections();
      }),
  };
}

async function handle(
  simulator: SmscSimulator,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? "/", "http://localhost");
  const route = `${request.method ?? "GET"} ${url.pathname}`;
  switch (route) {
    case "GET /inbox": {
      const phone = url.searchParams.get("phone") ?? undefined;
      return send(response, 200, { messages: simulator.inbox.messages(phone) });
    }
    case "DELETE /inbox":
      simulator.inbox.clear();
      return send(response, 204, undefined);
    case "GET /stats":
      return send(response, 200, simulator.stats());
    case "GET /scenario":
      return send(response, 200, simulator.scenario);
    case "PUT /scenario":
      simulator.setScenario(JSON.parse(await readBody(request)) as unknown);
      return send(response, 200, simulator.scenario);
    case "POST /connections/drop": {
      const unbind = ["1", "true"].includes(url.searchParams.get("unbind") ?? "");
      return send(response, 200, { dropped: simulator.dropConnections({ unbind }) });
    }
    case "POST /connections/mute":
      return send(response, 200, { muted: simulator.muteConnections() });
    default:
      return send(response, 404, { error: `no route ${route}` });
  }
}

/**
 * Writes each message the handsets receive as one JSON line. Lines of one turn of the event loop
 * leave in one write: at a thousand messages a second, one syscall per message would cost the
 * simulator more than the SMPP work.
 */
function streamInbox(
  simulator: SmscSimulator,
  request: IncomingMessage,
  response: ServerResponse,
  streams: Set<ServerResponse>,
): void {
  const phone = new URL(request.url ?? "/", "http://localhost").searchParams.get("phone");
  const wanted = phone === null ? undefined : normalisePhone(phone);
  let pending: string[] = [];
  const flush = (): void => {
    const lines = pending.join("");
    pending = [];
    response.write(lines);
  };
  const unsubscribe = simulator.inbox.onMessage((message: InboxMessage) => {
    if (wanted !== undefined && message.phone !== wanted) return;
    if (pending.length === 0) setImmediate(flush);
    pending.push(`${JSON.stringify(message)}\n`);
  });
  streams.add(response);
  response.on("close", () => {
    unsubscribe();
    streams.delete(response);
  });
  response.writeHead(200, { "content-type": "application/x-ndjson", "cache-control": "no-store" });
  response.flushHeaders();
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new Error("body too large");
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (body === undefined) {
    response.writeHead(status).end();
    return;
  }
  const json = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json" }).end(json);
}
