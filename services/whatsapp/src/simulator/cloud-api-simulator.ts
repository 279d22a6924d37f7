/**
 * A WhatsApp Cloud API simulator (node:http) for development, demos, load and outage drills.
 *   POST /{version}/{phone-number-id}/messages   Bearer token; template payload checked; Graph
 *                                                API errors; statuses posted to the webhook URL
 *   GET /inbox[?phone=]  DELETE /inbox  GET|PUT /scenario  GET /stats
 *   POST /inbound {from, text, phoneNumberId}    a user writes to the business (messages webhook);
 *                                                opens the 24-hour customer service window, in
 *                                                which free-form text replies are delivered
 * The inbox holds codes on purpose (it plays the handsets): bind it to loopback.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isOtpError } from "@domain/errors";
import { listenHttp, SIMULATOR_HTTP_LIMITS } from "@platform/http/http-listener";
import { BodyTooLargeError, readRawBody } from "@platform/http/raw-body";
import { createInbox, type Inbox } from "./inbox";
import { startLifecycle } from "./message-lifecycle";
import { seededRandom } from "@platform/http/seeded-random";
import { createFaultInjector } from "./faults";
import { parseScenario, type Scenario } from "./scenario";
import { createServiceWindows } from "./service-windows";
import { checkSendRequest, type GraphErrorAnswer } from "./send-request";
import { createWebhookPoster, inboundWebhook, type WebhookPoster } from "./webhook-poster";

export interface CloudApiSimulatorOptions {
  port?: number;
  host?: string;
  /** Bearer tokens accepted (for every phone number id). */
  accessTokens: string[];
  appSecret: string;
  webhookUrl?: string;
  wabaId?: string;
  scenario?: unknown;
  now?: () => number;
}

export interface SimulatorStats {
  requests: number;
  requestsByPhoneNumberId: Record<string, number>;
  accepted: number;
  /** Error code → answers. */
  rejected: Record<string, number>;
  webhooksPosted: number;
  webhookFailures: number;
}

export interface CloudApiSimulator {
  readonly port: number;
  /** e.g. http://127.0.0.1:40123 — the client's baseUrl. */
  readonly url: string;
  readonly inbox: Inbox;
  readonly scenario: Scenario;
  setScenario(input: unknown): void;
  setWebhookUrl(url: string | undefined): void;
  stats(): SimulatorStats;
  /** The newest send requests as received (bodies hold codes: tests and demos only). */
  received(phoneNumberId?: string): ReceivedRequest[];
  close(): Promise<void>;
}

export interface ReceivedRequest {
  phoneNumberId: string;
  body: unknown;
  at: string;
}

const MAX_RECEIVED = 1_000;

const SEND_PATH = /^\/(v\d+(?:\.\d+)?)\/([^/]+)\/messages$/;

export async function startCloudApiSimulator(options: CloudApiSimulatorOptions): Promise<CloudApiSimulator> {
  const now = options.now ?? Date.now;
  const wabaId = options.wabaId ?? "100000000000001";
  const inbox = createInbox();
  const windows = createServiceWindows();
  const timers = new Set<NodeJS.Timeout>();
  let scenario: Scenario = parseScenario(options.scenario ?? {});
  let random = seededRandom(scenario.seed ?? 1);
  let poster: WebhookPoster | undefined;
  const faults = createFaultInjector(() => scenario, now);
  let received: ReceivedRequest[] = [];
  const stats: SimulatorStats = {
    requests: 0,
    requestsByPhoneNumberId: {},
    accepted: 0,
    rejected: {},
    webhooksPosted: 0,
    webhookFailures: 0,
  };

  const setWebhookUrl = (url: string | undefined): void => {
    poster = url === undefined ? undefined : createWebhookPoster({ url, appSecret: options.appSecret });
  };
  setWebhookUrl(options.webhookUrl);

  const later = (ms: number, run: () => Promise<void>): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      void run();
    }, ms);
    timers.add(timer);
  };
  const lifecycle = {
    scenario: () => scenario,
    random: () => random(),
    now,
    inbox,
    poster: () => poster,
    wabaId,
    later,
    onPosted: (ok: boolean) => (ok ? stats.webhooksPosted++ : stats.webhookFailures++),
    windowOpen: (phoneNumberId: string, user: string) => windows.isOpen(phoneNumberId, user, now()),
  };

  const handleSend = async (phoneNumberId: string, request: IncomingMessage, response: ServerResponse) => {
    stats.requests += 1;
    stats.requestsByPhoneNumberId[phoneNumberId] = (stats.requestsByPhoneNumberId[phoneNumberId] ?? 0) + 1;
    const reject = (error: GraphErrorAnswer, headers: Record<string, string> = {}): void => {
      stats.rejected[String(error.code)] = (stats.rejected[String(error.code)] ?? 0) + 1;
      sendGraphError(response, error, headers);
    };
    const auth = request.headers.authorization ?? "";
    if (!options.accessTokens.some((token) => auth === `Bearer ${token}`)) {
      return reject({
        httpStatus: 401,
        code: 190,
        message: "Invalid OAuth access token - Cannot parse access token",
      });
    }
    let body: unknown;
    try {
      body = JSON.parse((await readRawBody(request, 64 * 1024)).toString("utf8"));
    } catch {
      return reject({
        httpStatus: 400,
        code: 100,
        message: "(#100) Invalid parameter",
        details: "body is not JSON",
      });
    }
    received.push({ phoneNumberId, body, at: new Date(now()).toISOString() });
    if (received.length > MAX_RECEIVED) received = received.slice(-MAX_RECEIVED);
    const to = typeof (body as { to?: unknown })?.to === "string" ? (body as { to: string }).to : "";
    const forced = faults.forced(phoneNumberId, to);
    if (forced) {
      const after = forced.retryAfterSeconds;
      const headers: Record<string, string> = after === undefined ? {} : { "retry-after": String(after) };
      return reject(forced.error, headers);
    }
    const check = checkSendRequest(body, scenario.templates);
    if (!check.ok) return reject(check.error);
    const messageId = `wamid.${randomBytes(24).toString("base64url")}`;
    stats.accepted += 1;
    sendJson(response, 200, {
      messaging_product: "whatsapp",
      contacts: [{ input: to, wa_id: check.send.to }],
      messages: [{ id: messageId, message_status: "accepted" }],
    });
    startLifecycle(lifecycle, phoneNumberId, messageId, check.send);
  };

  const handleInbound = async (request: IncomingMessage, response: ServerResponse) => {
    const input = JSON.parse((await readRawBody(request, 64 * 1024)).toString("utf8")) as Record<
      string,
      unknown
    >;
    const field = (key: string, fallback: string): string =>
      typeof input[key] === "string" ? input[key] : fallback;
    const from = field("from", "").replace(/[^0-9]/g, "");
    const notice = {
      phoneNumberId: field("phoneNumberId", "100000000000002"),
      from,
      messageId: `wamid.${randomBytes(24).toString("base64url")}`,
      text: field("text", ""),
      timestamp: new Date(now()),
    };
    windows.open(notice.phoneNumberId, from, now());
    const posted = poster ? await poster.post(inboundWebhook(wabaId, notice)) : false;
    sendJson(response, 200, { posted, messageId: notice.messageId });
  };

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const send = SEND_PATH.exec(url.pathname);
    if (request.method === "POST" && send?.[2] !== undefined)
      return handleSend(decodeURIComponent(send[2]), request, response);
    switch (`${request.method ?? "GET"} ${url.pathname}`) {
      case "GET /inbox":
        return sendJson(response, 200, {
          messages: inbox.messages(url.searchParams.get("phone") ?? undefined),
        });
      case "DELETE /inbox":
        inbox.clear();
        return void response.writeHead(204).end();
      case "GET /stats":
        return sendJson(response, 200, stats);
      case "GET /scenario":
        return sendJson(response, 200, scenario);
      case "PUT /scenario":
        simulator.setScenario(JSON.parse((await readRawBody(request, 1 << 20)).toString("utf8")));
        return sendJson(response, 200, scenario);
      case "POST /inbound":
        return handleInbound(request, response);
      default:
        return sendJson(response, 404, {
          error: { message: `no route ${request.method ?? ""} ${url.pathname}` },
        });
    }
  };

  const listener = await listenHttp(
    (request, response) => {
      route(request, response).catch((err: unknown) => {
        const status =
          err instanceof SyntaxError || (isOtpError(err) && err.code === "CONFIG_INVALID") ? 400 : 500;
        const tooLarge = err instanceof BodyTooLargeError;
        if (!response.headersSent) {
          sendJson(response, tooLarge ? 413 : status, {
            error: { message: err instanceof Error ? err.message : "error" },
          });
        }
      });
    },
    { host: options.host ?? "127.0.0.1", port: options.port ?? 0 },

    // Plays a provider's API on loopback for tests and benches, whose clients open a connection
    // per request in flight: far above a real listener's cap.
    SIMULATOR_HTTP_LIMITS,
  );

  const simulator: CloudApiSimulator = {
    port: listener.port,
    url: listener.url,
    inbox,
    get scenario() {
      return scenario;
    },
    setScenario(input) {
      scenario = parseScenario(input);
      random = seededRandom(scenario.seed ?? 1);
      faults.reset();
    },
    setWebhookUrl,
    stats: () => structuredClone(stats),
    received: (id) =>
      structuredClone(id === undefined ? received : received.filter((r) => r.phoneNumberId === id)),
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await listener.close(0);
    },
  };
  return simulator;
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

function sendGraphError(
  response: ServerResponse,
  error: GraphErrorAnswer,
  headers: Record<string, string>,
): void {
  sendJson(
    response,
    error.httpStatus,
    {
      error: {
        message: error.message,
        type: "OAuthException",
        code: error.code,
        error_data: { messaging_product: "whatsapp", details: error.details ?? error.message },
        fbtrace_id: randomBytes(9).toString("base64url"),
      },
    },
    headers,
  );
}
