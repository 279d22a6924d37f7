/**
 * One inbox for every simulated handset (default http://127.0.0.1:8025): what each phone got by
 * SMS, WhatsApp and voice, newest first. `GET /inbox?phone=+62…` (JSON), `GET /` (a page that
 * refreshes itself, with what the simulated operator network did for silent verifications),
 * `DELETE /inbox`, `PUT /scenario/{sms|whatsapp|voice|silent}` to change how a simulated network
 * behaves (blackouts, delays, failures; for silent: match, mismatch, data_off, slow, districts
 * down), and `GET /silent/log`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { listenHttp, type HttpListener } from "@platform/http/http-listener";
import { readRawBody } from "@platform/http/raw-body";
import type { HandsetMessage } from "@platform/development/handset-inbox";
import type { Simulators } from "./simulators";

const digits = (phone: string): string => phone.replace(/[^0-9]/g, "");

export function inboxOf(sims: Simulators, phone?: string): HandsetMessage[] {
  const p = phone ? digits(phone) : undefined;
  const sms = sims.smsc.inbox.messages(p).map((m) => ({
    channel: "sms" as const,
    phone: `+${m.phone}`,
    from: m.from,
    text: m.text,
    at: m.receivedAt,
    providerIds: m.messageIds,
  }));
  const wa = sims.whatsapp.inbox.messages(p).map((m) => ({
    channel: "whatsapp" as const,
    phone: `+${m.phone}`,
    from: m.phoneNumberId,
    text: m.text,
    at: m.deliveredAt,
    providerIds: [m.messageId],
  }));
  const voice = sims.voice.inbox.calls(p).map((c) => ({
    channel: "voice" as const,
    phone: `+${c.phone}`,
    from: c.from,
    text: c.heard,
    at: c.answeredAt,
    providerIds: [c.callSid],
  }));
  // What the simulated operator network did (numbers masked, so on the page, not per phone) for silent verifications (no message reaches the phone).
  const silent = sims.openGateway
    .log()
    .filter((e) => e.device !== "")
    .map((e) => ({
      channel: "silent" as const,
      phone: e.device,
      from: `operator network ${e.step}${e.district ? ` (${e.district})` : ""}`,
      text: e.outcome,
      at: e.at,
      providerIds: [],
    }));
  return [...sms, ...wa, ...voice, ...(p ? [] : silent)].sort((a, b) => b.at.localeCompare(a.at));
}

const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

function page(messages: HandsetMessage[]): string {
  const rows = messages
    .slice(0, 200)
    .map(
      (m) =>
        `<tr><td>${escapeHtml(m.at)}</td><td>${m.channel}</td><td>${escapeHtml(m.phone)}</td><td>${escapeHtml(m.from)}</td><td>${escapeHtml(m.text)}</td></tr>`,
    )
    .join("\n");
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>otp-router simulated handsets</title>
<style>body{font-family:sans-serif;margin:2em}td,th{padding:4px 10px;text-align:left;border-bottom:1px solid #ddd}</style>
</head><body><h1>Simulated handsets</h1><p>What each phone received, newest first. JSON: <code>/inbox?phone=+62…</code></p>
<table><tr><th>time</th><th>channel</th><th>phone</th><th>from</th><th>message</th></tr>
${rows}</table></body></html>`;
}

function send(res: ServerResponse, status: number, body: unknown, type = "application/json"): void {
  res.writeHead(status, { "content-type": type });
  res.end(type === "application/json" ? JSON.stringify(body) : String(body));
}

export async function startInboxServer(sims: Simulators, host: string, port: number): Promise<HttpListener> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://inbox");
    if (req.method === "GET" && url.pathname === "/")
      return send(res, 200, page(inboxOf(sims)), "text/html; charset=utf-8");
    if (req.method === "GET" && url.pathname === "/inbox") {
      return send(res, 200, { messages: inboxOf(sims, url.searchParams.get("phone") ?? undefined) });
    }
    if (req.method === "DELETE" && url.pathname === "/inbox") {
      sims.smsc.inbox.clear();
      sims.whatsapp.inbox.clear();
      sims.voice.inbox.clear();
      sims.openGateway.clearLog();
      return send(res, 204, "", "text/plain");
    }
    if (url.pathname === "/scenario/silent" && (req.method === "PUT" || req.method === "GET")) {
      if (req.method === "PUT") {
        try {
          sims.openGateway.setScenario(JSON.parse((await readRawBody(req, 64 * 1024)).toString("utf8")));
        } catch (err) {
          return send(res, 400, { error: err instanceof Error ? err.message : "invalid scenario" });
        }
      }
      return send(res, 200, sims.openGateway.scenario);
    }
    if (req.method === "GET" && url.pathname === "/silent/log")
      return send(res, 200, { entries: sims.openGateway.log() });
    const scenario = /^\/scenario\/(sms|whatsapp|voice)$/.exec(url.pathname);
    if (scenario && (req.method === "PUT" || req.method === "GET")) {
      const target =
        scenario[1] === "sms" ? sims.smsc : scenario[1] === "whatsapp" ? sims.whatsapp : sims.voice;
      if (req.method === "GET") return send(res, 200, target.scenario);
      const body = await readRawBody(req, 256 * 1024);
      try {
        target.setScenario(JSON.parse(body.toString("utf8")));
      } catch (err) {
        return send(res, 400, { error: err instanceof Error ? err.message : "invalid scenario" });
      }
      return send(res, 200, target.scenario);
    }
    return send(res, 404, { error: "not found" });
  };
  return listenHttp(
    (req, res) => {
      handle(req, res).catch((err: unknown) =>
        send(res, 400, { error: err instanceof Error ? err.message : "bad request" }),
      );
    },
    { host, port },
  );
}
