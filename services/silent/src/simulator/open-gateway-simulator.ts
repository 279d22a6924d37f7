/**
 * A simulated operator Open Gateway for CAMARA Number Verification, over real HTTP:
 * `GET /authorize` (OIDC authorization endpoint with network-based authentication),
 * `POST /token` (authorization_code grant, client_secret_basic, PKCE S256, single-use codes, an
 * HS256 ID token carrying the nonce) and `POST /number-verification/v0/verify`
 * (`devicePhoneNumberVerified`, CAMARA error bodies `{status, code, message}`). `PUT /scenario`
 * changes the behaviour (match, mismatch, data off, slow, districts down); `GET /log` lists what
 * happened, phone numbers masked.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { listenHttp, SIMULATOR_HTTP_LIMITS, type HttpListener } from "@platform/http/http-listener";
import { readRawBody } from "@platform/http/raw-body";
import { maskPhone } from "@domain/privacy";
import { signIdToken } from "../id-token";
import { DEFAULT_SCENARIO, parseScenario, type OpenGatewayScenario } from "./scenario";

export interface OpenGatewayClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export interface OpenGatewayLogEntry {
  at: string;
  step: "authorize" | "token" | "verify";
  /** Masked device number, or "" when the request did not come over mobile data. */
  device: string;
  district: string;
  outcome: string;
}

export interface OpenGatewaySimulator {
  readonly url: string;
  readonly scenario: OpenGatewayScenario;
  setScenario(json: unknown): void;
  log(): OpenGatewayLogEntry[];
  clearLog(): void;
  close(): Promise<void>;
}

interface Grant {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  nonce: string;
  /** The number of the SIM whose data session asked. */
  devicePhone: string;
  expiresAt: number;
}

const CODE_TTL_MS = 60_000;
const TOKEN_TTL_S = 300;
const LOG_KEPT = 500;

const token = (): string => randomBytes(24).toString("base64url");

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

const camaraError = (res: ServerResponse, status: number, code: string, message: string) =>
  json(res, status, { status, code, message });

function redirect(res: ServerResponse, target: string, params: Record<string, string>): void {
  const url = new URL(target);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  res.writeHead(302, { location: url.toString() });
  res.end();
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Another number of the same operator: what a mismatching device's SIM holds. */
const otherNumber = (phone: string): string => phone.slice(0, -1) + String((Number(phone.at(-1)) + 1) % 10);

/** The simulated operator: its clients, grants, tokens, scenario and log. */
interface SimulatedOperator {
  scenario: OpenGatewayScenario;
  clients: Map<string, OpenGatewayClient>;
  grants: Map<string, Grant>;
  tokens: Map<string, { devicePhone: string; expiresAt: number }>;
  entries: OpenGatewayLogEntry[];
}

export async function startOpenGatewaySimulator(o: {
  host: string;
  port: number;
  clients: OpenGatewayClient[];
}): Promise<OpenGatewaySimulator> {
  const operator: SimulatedOperator = {
    scenario: DEFAULT_SCENARIO,
    clients: new Map(o.clients.map((c) => [c.clientId, c])),
    grants: new Map(),
    tokens: new Map(),
    entries: [],
  };
  const listener: HttpListener = await listenHttp(
    (req, res) => {
      handle(operator, req, res).catch(() => {
        if (!res.headersSent) json(res, 500, { status: 500, code: "INTERNAL", message: "Server error" });
      });
    },
    { host: o.host, port: o.port },

    // Plays a provider's API on loopback for tests and benches, whose clients open a connection
    // per request in flight: far above a real listener's cap.
    SIMULATOR_HTTP_LIMITS,
  );
  return {
    url: listener.url,
    get scenario() {
      return operator.scenario;
    },
    setScenario(value) {
      operator.scenario = parseScenario(value, operator.scenario);
    },
    log: () => operator.entries,
    clearLog() {
      operator.entries = [];
    },
    close: () => listener.close(500),
  };
}

function record(operator: SimulatedOperator, e: Omit<OpenGatewayLogEntry, "at">): void {
  operator.entries = [{ at: new Date().toISOString(), ...e }, ...operator.entries].slice(0, LOG_KEPT);
}

async function handle(operator: SimulatedOperator, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://open-gateway");
  if (req.method === "GET" && url.pathname === "/authorize") return authorize(operator, req, res, url);
  if (req.method === "POST" && url.pathname === "/token") return tokenEndpoint(operator, req, res);
  if (req.method === "POST" && /^\/number-verification\/v[0-9][^/]*\/verify$/.test(url.pathname))
    return verify(operator, req, res);
  if (req.method === "GET" && url.pathname === "/log") return json(res, 200, { entries: operator.entries });
  if (url.pathname === "/scenario" && req.method === "GET") return json(res, 200, operator.scenario);
  if (url.pathname === "/scenario" && req.method === "PUT") {
    try {
      operator.scenario = parseScenario(
        JSON.parse((await readRawBody(req, 64 * 1024)).toString("utf8")),
        operator.scenario,
      );
    } catch (err) {
      return json(res, 400, { error: err instanceof Error ? err.message : "invalid scenario" });
    }
    return json(res, 200, operator.scenario);
  }
  json(res, 404, { error: "not found" });
}

async function authorize(
  operator: SimulatedOperator,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const { scenario } = operator;
  const p = url.searchParams;
  const client = operator.clients.get(p.get("client_id") ?? "");
  const redirectUri = p.get("redirect_uri") ?? "";
  // Never redirect to an unregistered URI (RFC 6749 §4.1.2.1): answer the device directly.
  if (!client || !client.redirectUris.includes(redirectUri))
    return json(res, 400, { error: "invalid_request" });
  const state = p.get("state") ?? "";
  const back = (params: Record<string, string>) => redirect(res, redirectUri, { ...params, state });
  const device = String(req.headers["x-simulated-device"] ?? "");
  const district = String(req.headers["x-simulated-district"] ?? "");
  const masked = device ? maskPhone(device) : "";
  if (
    p.get("response_type") !== "code" ||
    !(p.get("scope") ?? "").split(" ").includes("number-verification:verify")
  ) {
    record(operator, { step: "authorize", device: masked, district, outcome: "invalid_scope" });
    return back({ error: "invalid_scope" });
  }
  if (p.get("code_challenge_method") !== "S256" || !p.get("code_challenge")) {
    return back({ error: "invalid_request", error_description: "PKCE S256 required" });
  }
  if (district && scenario.districtsDown.includes(district)) {
    record(operator, { step: "authorize", device: masked, district, outcome: "operator outage" });
    return back({ error: "temporarily_unavailable" });
  }
  const behaviour = scenario.devices[device] ?? scenario.behaviour;
  if (!device || behaviour === "data_off") {
    record(operator, { step: "authorize", device: masked, district, outcome: "not on mobile data" });
    return back({ error: "access_denied", error_description: "network-based authentication not possible" });
  }
  if (behaviour === "slow") await new Promise((r) => setTimeout(r, scenario.slowMs));
  const code = token();
  operator.grants.set(code, {
    clientId: client.clientId,
    redirectUri,
    codeChallenge: p.get("code_challenge") ?? "",
    nonce: p.get("nonce") ?? "",
    devicePhone: behaviour === "mismatch" ? otherNumber(device) : device,
    expiresAt: Date.now() + CODE_TTL_MS,
  });
  record(operator, { step: "authorize", device: masked, district, outcome: `code issued (${behaviour})` });
  back({ code });
}

async function tokenEndpoint(
  operator: SimulatedOperator,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const [scheme, credentials = ""] = String(req.headers.authorization ?? "").split(" ");
  const [id = "", secret = ""] = Buffer.from(credentials, "base64")
    .toString("utf8")
    .split(":")
    .map(decodeURIComponent);
  const client = operator.clients.get(id);
  if (scheme !== "Basic" || !client || !sameText(secret, client.clientSecret))
    return json(res, 401, { error: "invalid_client" });
  const form = new URLSearchParams((await readRawBody(req, 16 * 1024)).toString("utf8"));
  const code = form.get("code") ?? "";
  const grant = operator.grants.get(code);
  operator.grants.delete(code); // single use, whatever happens next
  const verifier = form.get("code_verifier") ?? "";
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  if (
    form.get("grant_type") !== "authorization_code" ||
    !grant ||
    grant.clientId !== id ||
    grant.redirectUri !== form.get("redirect_uri") ||
    grant.expiresAt <= Date.now() ||
    !sameText(challenge, grant.codeChallenge)
  ) {
    record(operator, {
      step: "token",
      device: grant ? maskPhone(grant.devicePhone) : "",
      district: "",
      outcome: "invalid_grant",
    });
    return json(res, 400, { error: "invalid_grant" });
  }
  const accessToken = token();
  operator.tokens.set(accessToken, {
    devicePhone: grant.devicePhone,
    expiresAt: Date.now() + TOKEN_TTL_S * 1000,
  });
  const now = Math.floor(Date.now() / 1000);
  const idToken = signIdToken(
    {
      iss: "simulated-open-gateway",
      sub: token(),
      aud: id,
      nonce: grant.nonce,
      iat: now,
      exp: now + TOKEN_TTL_S,
      amr: ["nbm"],
    },
    client.clientSecret,
  );
  record(operator, {
    step: "token",
    device: maskPhone(grant.devicePhone),
    district: "",
    outcome: "token issued",
  });
  json(res, 200, {
    access_token: accessToken,
    token_type: "Bearer",
    expires_in: TOKEN_TTL_S,
    id_token: idToken,
    scope: "openid number-verification:verify",
  });
}

async function verify(operator: SimulatedOperator, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ""))?.[1] ?? "";
  const grant = operator.tokens.get(bearer);
  if (!grant || grant.expiresAt <= Date.now())
    return camaraError(res, 401, "UNAUTHENTICATED", "Request not authenticated");
  let body: { phoneNumber?: unknown; hashedPhoneNumber?: unknown };
  try {
    body = JSON.parse((await readRawBody(req, 16 * 1024)).toString("utf8")) as typeof body;
  } catch {
    return camaraError(res, 400, "INVALID_ARGUMENT", "Body is not JSON");
  }
  const plain = typeof body.phoneNumber === "string" ? body.phoneNumber : undefined;
  const hashed = typeof body.hashedPhoneNumber === "string" ? body.hashedPhoneNumber : undefined;
  if ((plain === undefined) === (hashed === undefined))
    return camaraError(res, 400, "INVALID_ARGUMENT", "Give exactly one of phoneNumber and hashedPhoneNumber");
  const device = grant.devicePhone;
  const verified =
    plain !== undefined ? plain === device : hashed === createHash("sha256").update(device).digest("hex");
  record(operator, {
    step: "verify",
    device: maskPhone(device),
    district: "",
    outcome: verified ? "match" : "mismatch",
  });
  json(res, 200, { devicePhoneNumberVerified: verified });
}
