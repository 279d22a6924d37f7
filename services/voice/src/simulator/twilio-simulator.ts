/**
 * A Twilio-compatible voice API simulator (node:http) for development, demos, load and outage
 * drills. Speaks the Calls API:
 *   POST /2010-04-01/Accounts/{AccountSid}/Calls.json          create (form, basic auth)
 *   POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json update Status=canceled|completed
 *   GET  /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json fetch
 * errors as `{ code, message, more_info, status }`; signed status callbacks; the TwiML played to
 * a simulated listener. Control: GET /inbox[?phone=], DELETE /inbox, GET|PUT /scenario, GET /stats.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isOtpError } from "@domain/errors";
import { listenHttp, SIMULATOR_HTTP_LIMITS } from "@platform/http/http-listener";
import { BodyTooLargeError, readRawBody } from "@platform/http/raw-body";
import { createCallInbox, type CallInbox } from "./inbox";
import { seededRandom } from "@platform/http/seeded-random";
import { activeOutage, parseScenario, pickOutcome, profileFor, type Scenario } from "./scenario";
import { type CallDeps, SimulatedCall } from "./simulated-call";
import { parseTwiml } from "./twiml-listener";

export interface TwilioSimulatorOptions {
  port?: number;
  host?: string;
  accountSid: string;
  authToken: string;
  scenario?: unknown;
  now?: () => number;
}

export interface VoiceSimulatorStats {
  requests: number;
  created: number;
  /** Twilio error code → answers. */
  rejected: Record<string, number>;
  updates: number;
  callbacksPosted: number;
  callbackFailures: number;
}

export interface TwilioSimulator {
  readonly port: number;
  /** The adapter's baseUrl. */
  readonly url: string;
  readonly inbox: CallInbox;
  readonly scenario: Scenario;
  setScenario(input: unknown): void;
  call(sid: string): SimulatedCall | undefined;
  stats(): VoiceSimulatorStats;
  close(): Promise<void>;
}

interface TwilioError {
  httpStatus: number;
  code: number;
  message: string;
}

const CALLS = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls(?:\/([^/]+))?\.json$/;
const EVENTS = new Set(["initiated", "ringing", "answered", "completed"]);

/** The simulated account: its calls, scenario and counters. */
interface SimulatedAccount {
  options: TwilioSimulatorOptions;
  now: () => number;
  inbox: CallInbox;
  calls: Map<string, SimulatedCall>;
  scenario: Scenario;
  random: () => number;
  failFirstLeft: number;
  recentCreates: number[];
  stats: VoiceSimulatorStats;
  callDeps: CallDeps;
}

export async function startTwilioSimulator(options: TwilioSimulatorOptions): Promise<TwilioSimulator> {
  const now = options.now ?? Date.now;
  const inbox = createCallInbox();
  const stats: VoiceSimulatorStats = {
    requests: 0,
    created: 0,
    rejected: {},
    updates: 0,
    callbacksPosted: 0,
    callbackFailures: 0,
  };
  const scenario = parseScenario(options.scenario ?? {});
  const account: SimulatedAccount = {
    options,
    now,
    inbox,
    calls: new Map(),
    scenario,
    random: seededRandom(scenario.seed ?? 1),
    failFirstLeft: scenario.failFirst?.count ?? 0,
    recentCreates: [],
    stats,
    callDeps: {
      authToken: options.authToken,
      inbox,
      now,
      onPosted: (ok: boolean) => (ok ? stats.callbacksPosted++ : stats.callbackFailures++),
    },
  };

  const listener = await listenHttp(
    (request, response) => {
      route(account, request, response).catch((err: unknown) => {
        if (response.headersSent) return;
        const bad = err instanceof SyntaxError || (isOtpError(err) && err.code === "CONFIG_INVALID");
        const status = err instanceof BodyTooLargeError ? 413 : bad ? 400 : 500;
        sendJson(response, status, { message: err instanceof Error ? err.message : "error" });
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
      return account.scenario;
    },
    setScenario: (input) => setScenario(account, input),
    call: (sid) => account.calls.get(sid),
    stats: () => structuredClone(stats),
    async close() {
      for (const call of account.calls.values()) call.abandon();
      await listener.close(0);
    },
  };
}

function setScenario(account: SimulatedAccount, input: unknown): void {
  account.scenario = parseScenario(input);
  account.random = seededRandom(account.scenario.seed ?? 1);
  account.failFirstLeft = account.scenario.failFirst?.count ?? 0;
  account.recentCreates = [];
}

function reject(account: SimulatedAccount, response: ServerResponse, error: TwilioError): void {
  const { stats } = account;
  stats.rejected[String(error.code)] = (stats.rejected[String(error.code)] ?? 0) + 1;
  sendJson(response, error.httpStatus, {
    code: error.code,
    message: error.message,
    more_info: `https://www.twilio.com/docs/errors/${error.code}`,
    status: error.httpStatus,
  });
}

function authenticated(
  options: TwilioSimulatorOptions,
  request: IncomingMessage,
  accountSid: string,
): boolean {
  const expected = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString("base64")}`;
  return accountSid === options.accountSid && request.headers.authorization === expected;
}

/** Checks a create request; the first problem found, as Twilio would answer it. */
function checkCreate(form: URLSearchParams): TwilioError | undefined {
  const to = form.get("To");
  const twiml = form.get("Twiml");
  if (!to) return { httpStatus: 400, code: 21201, message: "No 'To' number is specified" };
  if (!form.get("From")) return { httpStatus: 400, code: 21213, message: "No 'From' number is specified" };
  if (!/^\+\d{8,15}$/.test(to)) return { httpStatus: 400, code: 21211, message: "Invalid 'To' Phone Number" };
  if (!twiml && !form.get("Url"))
    return { httpStatus: 400, code: 21205, message: "Url parameter is required" };
  if (form.getAll("StatusCallbackEvent").some((e) => !EVENTS.has(e))) {
    return { httpStatus: 400, code: 21626, message: "Invalid 'StatusCallbackEvent'" };
  }
  if (twiml) {
    try {
      parseTwiml(twiml);
    } catch {
      return { httpStatus: 400, code: 12100, message: "Document parse failure" };
    }
  }
  return undefined;
}

/** Failures forced by the scenario before the request is looked at. */
function forced(account: SimulatedAccount, to: string): TwilioError | undefined {
  const { scenario, now } = account;
  if (account.failFirstLeft > 0 && scenario.failFirst) {
    account.failFirstLeft -= 1;
    return { ...scenario.failFirst, message: "Simulated failure" };
  }
  if (activeOutage(scenario, to, now())?.effect === "api-error") {
    return {
      httpStatus: activeOutage(scenario, to, now())?.httpStatus ?? 503,
      code: 20500,
      message: "Internal Server Error",
    };
  }
  const limit = scenario.callsPerSecond;
  if (limit !== undefined) {
    const t = now();
    account.recentCreates = account.recentCreates.filter((at) => t - at < 1000);
    if (account.recentCreates.length >= limit)
      return { httpStatus: 429, code: 20429, message: "Too Many Requests" };
    account.recentCreates.push(t);
  }
  return undefined;
}

function create(
  account: SimulatedAccount,
  accountSid: string,
  form: URLSearchParams,
  response: ServerResponse,
): void {
  const to = form.get("To") ?? "";
  const error = forced(account, to) ?? checkCreate(form);
  if (error) return reject(account, response, error);
  const call = new SimulatedCall(
    {
      sid: `CA${randomBytes(16).toString("hex")}`,
      accountSid,
      to,
      from: form.get("From") ?? "",
      twiml: form.get("Twiml") ?? '<?xml version="1.0"?><Response/>',
      statusCallback: form.get("StatusCallback") ?? undefined,
      events: new Set(form.getAll("StatusCallbackEvent")),
    },
    account.callDeps,
  );
  account.calls.set(call.request.sid, call);
  account.stats.created += 1;
  sendJson(response, 201, call.resource());
  const profile = profileFor(account.scenario, to);
  const outage = activeOutage(account.scenario, to, account.now());
  call.start(
    profile,
    outage?.effect === "calls-fail" ? "failed" : pickOutcome(profile.outcomeMix, account.random()),
  );
}

/** The Calls API: create, fetch and update (end) a call. */
async function callsApi(
  account: SimulatedAccount,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  [accountSid, callSid]: [string, string | undefined],
): Promise<void> {
  account.stats.requests += 1;
  if (!authenticated(account.options, request, accountSid)) {
    return reject(account, response, { httpStatus: 401, code: 20003, message: "Authenticate" });
  }
  const call = callSid === undefined ? undefined : account.calls.get(callSid);
  if (callSid !== undefined && call === undefined) {
    return reject(account, response, {
      httpStatus: 404,
      code: 20404,
      message: `The requested resource ${url.pathname} was not found`,
    });
  }
  if (request.method === "GET" && call) return sendJson(response, 200, call.resource());
  if (request.method !== "POST")
    return reject(account, response, { httpStatus: 405, code: 20004, message: "Method not allowed" });
  const form = new URLSearchParams((await readRawBody(request, 64 * 1024)).toString("utf8"));
  if (!call) return create(account, accountSid, form, response);
  const status = form.get("Status");
  if (status !== "canceled" && status !== "completed") {
    return reject(account, response, { httpStatus: 400, code: 21218, message: "Invalid 'Status'" });
  }
  account.stats.updates += 1;
  call.end(status);
  return sendJson(response, 200, call.resource());
}

async function route(
  account: SimulatedAccount,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? "/", "http://localhost");
  const api = CALLS.exec(url.pathname);
  if (api) {
    const [, accountSid = "", callSid] = api;
    return callsApi(account, request, response, url, [accountSid, callSid]);
  }
  const { inbox } = account;
  switch (`${request.method ?? "GET"} ${url.pathname}`) {
    case "GET /inbox":
      return sendJson(response, 200, { calls: inbox.calls(url.searchParams.get("phone") ?? undefined) });
    case "DELETE /inbox":
      inbox.clear();
      return void response.writeHead(204).end();
    case "GET /stats":
      return sendJson(response, 200, account.stats);
    case "GET /scenario":
      return sendJson(response, 200, account.scenario);
    case "PUT /scenario":
      setScenario(account, JSON.parse((await readRawBody(request, 1 << 20)).toString("utf8")));
      return sendJson(response, 200, account.scenario);
    default:
      return sendJson(response, 404, { message: `no route ${request.method ?? ""} ${url.pathname}` });
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
