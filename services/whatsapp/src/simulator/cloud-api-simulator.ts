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
import { type LifecycleDeps, startLifecycle } from "./message-lifecycle";
import { seededRandom } from "@platform/http/seeded-random";
import { createFaultInjector, type FaultInjector } from "./faults";
import { parseScenario, type Scenario } from "./scenario";
import { createServiceWindows, type ServiceWindows } from "./service-windows";
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

/** The simulated Graph API's business account: scenario, webhooks, what it received. */
interface SimulatedBusiness {
  options: CloudApiSimulatorOptions;
  now: () => number;
  wabaId: string;
  inbox: Inbox;
  windows: ServiceWindows;
  timers: Set<NodeJS.Timeout>;
  scenario: Scenario;
  random: () => number;
  poster?: WebhookPoster;
  faults: FaultInjector;
  received: ReceivedRequest[];
  stats: SimulatorStats;
  lifecycle: LifecycleDeps;
}

export async function startCloudApiSimulator(options: CloudApiSimulatorOptions): Promise<CloudApiSimulator> {
  const business = simulatedBusiness(options);
  const { inbox, stats, timers } = business;
  const listener = await listenHttp(
    (request, response) => {
      route(business, request, response).catch((err: unknown) => {
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

  return {
    port: listener.port,
    url: listener.url,
    inbox,
    get scenario() {
      return business.scenario;
    },
    setScenario: (input) => setScenario(business, input),
    setWebhookUrl: (url) => setWebhookUrl(business, url),
    stats: () => structuredClone(stats),
    received: (id) =>
      structuredClone(
        id === undefined ? business.received : business.received.filter((r) => r.phoneNumberId === id),
      ),
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await listener.close(0);
    },
  };
}

function simulatedBusiness(options: CloudApiSimulatorOptions): SimulatedBusiness {
  const now = options.now ?? Date.now;
  const wabaId = options.wabaId ?? "100000000000001";
  const inbox = createInbox();
  const windows = createServiceWindows();
  const timers = new Set<NodeJS.Timeout>();
  const scenario = parseScenario(options.scenario ?? {});
  const later = (ms: number, run: () => Promise<void>): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      void run();
    }, ms);
    timers.add(timer);
  };
  const state: Omit<SimulatedBusiness, "faults"> = {
    options,
    now,
    wabaId,
    inbox,
    windows,
    timers,
    scenario,
    random: seededRandom(scenario.seed ?? 1),
    received: [],
    stats: {
      requests: 0,
      requestsByPhoneNumberId: {},
      accepted: 0,
      rejected: {},
      webhooksPosted: 0,
      webhookFailures: 0,
    },
    lifecycle: {
      scenario: () => state.scenario,
      random: () => state.random(),
      now,
      inbox,
      poster: () => state.poster,
      wabaId,
      later,
      onPosted: (ok: boolean) => (ok ? state.stats.webhooksPosted++ : state.stats.webhookFailures++),
      windowOpen: (phoneNumberId: string, user: string) => windows.isOpen(phoneNumberId, user, now()),
    },
  };
  // The injector reads the scenario as it is now, also after setScenario.
  const business: SimulatedBusiness = Object.assign(state, {
    faults: createFaultInjector(() => state.scenario, now),
  });
  setWebhookUrl(business, options.webhookUrl);
  return business;
}

function setWebhookUrl(business: SimulatedBusiness, url: string | undefined): void {
  business.poster =
    url === undefined ? undefined : createWebhookPoster({ url, appSecret: business.options.appSecret });
}

function setScenario(business: SimulatedBusiness, input: unknown): void {
  business.scenario = parseScenario(input);
  business.random = seededRandom(business.scenario.seed ?? 1);
  business.faults.reset();
}

async function handleSend(
  business: SimulatedBusiness,
  phoneNumberId: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const { stats } = business;
  stats.requests += 1;
  stats.requestsByPhoneNumberId[phoneNumberId] = (stats.requestsByPhoneNumberId[phoneNumberId] ?? 0) + 1;
  const reject = (error: GraphErrorAnswer, headers: Record<string, string> = {}): void => {
    stats.rejected[String(error.code)] = (stats.rejected[String(error.code)] ?? 0) + 1;
    sendGraphError(response, error, headers);
  };
  const auth = request.headers.authorization ?? "";
  if (!business.options.accessTokens.some((token) => auth === `Bearer ${token}`)) {
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
  business.received.push({ phoneNumberId, body, at: new Date(business.now()).toISOString() });
  if (business.received.length > MAX_RECEIVED) business.received = business.received.slice(-MAX_RECEIVED);
  const to = typeof (body as { to?: unknown })?.to === "string" ? (body as { to: string }).to : "";
  const forced = business.faults.forced(phoneNumberId, to);
  if (forced) {
    const after = forced.retryAfterSeconds;
    const headers: Record<string, string> = after === undefined ? {} : { "retry-after": String(after) };
    return reject(forced.error, headers);
  }
  const check = checkSendRequest(body, business.scenario.templates);
  if (!check.ok) return reject(check.error);
  const messageId = `wamid.${randomBytes(24).toString("base64url")}`;
  stats.accepted += 1;
  sendJson(response, 200, {
    messaging_product: "whatsapp",
    contacts: [{ input: to, wa_id: check.send.to }],
    messages: [{ id: messageId, message_status: "accepted" }],
  });
  startLifecycle(business.lifecycle, phoneNumberId, messageId, check.send);
}

async function handleInbound(
  business: SimulatedBusiness,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const { now } = business;
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
  business.windows.open(notice.phoneNumberId, from, now());
  const posted = business.poster
    ? await business.poster.post(inboundWebhook(business.wabaId, notice))
    : false;
  sendJson(response, 200, { posted, messageId: notice.messageId });
}

async function route(
  business: SimulatedBusiness,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? "/", "http://localhost");
  const send = SEND_PATH.exec(url.pathname);
  if (request.method === "POST" && send?.[2] !== undefined)
    return handleSend(business, decodeURIComponent(send[2]), request, response);
  switch (`${request.method ?? "GET"} ${url.pathname}`) {
    case "GET /inbox":
      return sendJson(response, 200, {
        messages: business.inbox.messages(url.searchParams.get("phone") ?? undefined),
      });
    case "DELETE /inbox":
      business.inbox.clear();
      return void response.writeHead(204).end();
    case "GET /stats":
      return sendJson(response, 200, business.stats);
    case "GET /scenario":
      return sendJson(response, 200, business.scenario);
    case "PUT /scenario":
      setScenario(business, JSON.parse((await readRawBody(request, 1 << 20)).toString("utf8")));
      return sendJson(response, 200, business.scenario);
    case "POST /inbound":
      return handleInbound(business, request, response);
    default:
      return sendJson(response, 404, {
        error: { message: `no route ${request.method ?? ""} ${url.pathname}` },
      });
  }
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
