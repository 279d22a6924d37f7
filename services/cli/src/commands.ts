/**
 * The CLI's commands. Each returns what to print: a machine form (for --json) and a human one,
 * and whether it succeeded (a rejected code is an answer, not an error, but exits 1).
 */
import { readFileSync } from "node:fs";
import { Channel, Incident, Verification } from "@proto/otp/v1/common";
import { StartVerificationRequest } from "@proto/otp/v1/issuance";
import { ExplainRouteResponse, GetChannelHealthResponse } from "@proto/otp/v1/routing";
import { CheckCodeRequest, CheckResult, checkResultToJSON } from "@proto/otp/v1/verification";
import type { HandsetMessage } from "@platform/development/handset-inbox";
import { callUnary } from "@platform/grpc/client";
import { option, positional, flag, UsageError, type ParsedArgs } from "./args";
import { type RetryPolicy, withRetry } from "./retry";
import type { Connection } from "./connection";
import { SEAL_USAGE } from "./seal";
import { formatExplanation, formatHealth, formatIncidents, formatInbox, formatVerification } from "./format";

interface Output {
  json: unknown;
  text: string;
  ok: boolean;
}

type Command = (args: ParsedArgs, c: Connection) => Promise<Output>;

export const USAGE = `usage: otp <command> [options]   (--json for machine output)

  start <phone> [--purpose login] [--locale en] [--district ID-JK-JKS] [--channel whatsapp|sms|voice]
  inbox <phone>                       what the simulated phone received (and the code)
  check <verification-id> <code>
  show <verification-id>              status, delivery attempts and the route decisions
  health [district]                   channel health per district and route
  incident declare <district> [--channels whatsapp,sms] [--until 2h|<ISO time>] [--notice.<locale> text]
  incident resolve <incident-id>
  incident list [district] [--all]
  scenario <sms|whatsapp|voice|silent> [file.json|-]   show or replace a simulator's behaviour
  ${SEAL_USAGE}

  --address host:port (OTP_ADDRESS, default 127.0.0.1:50051)
  --token <bearer> (OTP_TOKEN, default the all-in-one dev tenant token)
  --inbox <url> (OTP_INBOX_URL, default http://127.0.0.1:8025)`;

const CHANNELS: Record<string, Channel> = {
  whatsapp: Channel.CHANNEL_WHATSAPP,
  sms: Channel.CHANNEL_SMS,
  voice: Channel.CHANNEL_VOICE,
};

function parseChannel(name: string): Channel {
  const channel = CHANNELS[name.toLowerCase()];
  if (channel === undefined) throw new UsageError(`unknown channel "${name}" (whatsapp, sms or voice)`);
  return channel;
}

/** "90s", "30m", "2h" from now, or an ISO time. */
function parseUntil(value: string, now: number): Date {
  const m = /^(\d+)([smh])$/.exec(value);
  if (m) return new Date(now + Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as "s" | "m" | "h"]);
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new UsageError(`--until: "${value}" is neither a duration (2h) nor a time`);
  return new Date(at);
}

/** `--retries N` (default 3): refusals with RetryInfo retried after the delay, with jitter. */
function retryPolicy(args: ParsedArgs): RetryPolicy {
  const retries = Number(option(args, "retries") ?? 3);
  if (!Number.isInteger(retries) || retries < 0) throw new UsageError("--retries must be a whole number ≥ 0");
  return {
    retries,
    random: Math.random,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    onWait: (ms, reason) => process.stderr.write(`${reason}: retrying in ${(ms / 1000).toFixed(1)} s\n`),
  };
}

const start: Command = async (args, c) => {
  const channel = option(args, "channel");
  const request = StartVerificationRequest.fromPartial({
    phone: positional(args, 1, "phone"),
    purpose: option(args, "purpose") ?? "login",
    locale: option(args, "locale") ?? "en",
    districtHint: option(args, "district") ?? "",
    channelPreference: channel === undefined ? Channel.CHANNEL_UNSPECIFIED : parseChannel(channel),
  });
  // The same request again: with the same phone and purpose the platform answers with the
  // verification a lost answer may have started (reused), so a retry never sends twice.
  const res = await withRetry(() => callUnary(c.issuance, "startVerification", request), retryPolicy(args));
  const v = res.verification ?? Verification.create();
  return {
    json: { verification: Verification.toJSON(v), reused: res.reused },
    text: `${res.reused ? "reused (nothing new sent): " : "started: "}${v.verificationId}\n\n${formatVerification(v)}`,
    ok: true,
  };
};

/** The first run of 4–10 digits in a handset message: the code, as a person would read it. */
const codeIn = (text: string): string | undefined => /\b(\d{4,10})\b/.exec(text)?.[1];

const inbox: Command = async (args, c) => {
  const phone = positional(args, 1, "phone");
  const res = await fetch(`${c.inboxUrl}/inbox?phone=${encodeURIComponent(phone)}`);
  if (!res.ok) throw new Error(`inbox answered HTTP ${res.status}`);
  const { messages } = (await res.json()) as { messages: HandsetMessage[] };
  const latest = messages[0];
  const code = latest ? codeIn(latest.text) : undefined;
  return {
    json: { messages, latestCode: code ?? null },
    text: formatInbox(messages) + (code ? `\n\nlatest code: ${code}` : ""),
    ok: true,
  };
};

const check: Command = async (args, c) => {
  const id = positional(args, 1, "verification id");
  const request = CheckCodeRequest.fromPartial({
    target: { $case: "verificationId", value: id },
    code: positional(args, 2, "code"),
  });
  const res = await withRetry(() => callUnary(c.verification, "checkCode", request), retryPolicy(args));
  const result = checkResultToJSON(res.result).replace(/^CHECK_RESULT_/, "");
  return {
    json: { result, verificationId: res.verificationId, checksRemaining: res.checksRemaining },
    text: `${result}${res.result === CheckResult.CHECK_RESULT_VERIFIED ? "" : ` (checks remaining: ${res.checksRemaining})`}`,
    ok: res.result === CheckResult.CHECK_RESULT_VERIFIED,
  };
};

const show: Command = async (args, c) => {
  const verificationId = positional(args, 1, "verification id");
  const [got, explained] = await Promise.all([
    callUnary(c.issuance, "getVerification", { verificationId }),
    callUnary(c.routing, "explainRoute", { verificationId }),
  ]);
  const v = got.verification ?? Verification.create();
  return {
    json: { verification: Verification.toJSON(v), route: ExplainRouteResponse.toJSON(explained) },
    text: `${formatVerification(v)}\n\n${formatExplanation(explained)}`,
    ok: true,
  };
};

const health: Command = async (args, c) => {
  const res = await callUnary(c.routing, "getChannelHealth", { district: args.positionals[1] ?? "" });
  return {
    json: GetChannelHealthResponse.toJSON(res),
    text: formatHealth(res.channels, res.recommendedChannel, res.incidents),
    ok: true,
  };
};

const incident: Command = async (args, c) => {
  const action = positional(args, 1, "incident action (declare, resolve or list)");
  if (action === "declare") {
    const notices: Record<string, string> = {};
    for (const [name, value] of args.options) {
      if (name.startsWith("notice.") && typeof value === "string") notices[name.slice(7)] = value;
    }
    const channels = option(args, "channels");
    const until = option(args, "until");
    const res = await callUnary(c.routing, "declareIncident", {
      district: positional(args, 2, "district"),
      channels: channels ? channels.split(",").map((n) => parseChannel(n.trim())) : [],
      until: until === undefined ? undefined : parseUntil(until, Date.now()),
      notices,
    });
    const i = res.incident ?? Incident.create();
    return { json: { incident: Incident.toJSON(i) }, text: `declared\n${formatIncidents([i])}`, ok: true };
  }
  if (action === "resolve") {
    const res = await callUnary(c.routing, "resolveIncident", {
      incidentId: positional(args, 2, "incident id"),
    });
    const i = res.incident ?? Incident.create();
    return { json: { incident: Incident.toJSON(i) }, text: `resolved\n${formatIncidents([i])}`, ok: true };
  }
  if (action === "list") {
    const res = await callUnary(c.routing, "listIncidents", {
      district: args.positionals[2] ?? "",
      includeResolved: flag(args, "all"),
    });
    return {
      json: { incidents: res.incidents.map((i) => Incident.toJSON(i)) },
      text: formatIncidents(res.incidents),
      ok: true,
    };
  }
  throw new UsageError(`unknown incident action "${action}"`);
};

const SIMULATORS = ["sms", "whatsapp", "voice", "silent"];

const scenario: Command = async (args, c) => {
  const target = positional(args, 1, "simulator (sms, whatsapp, voice or silent)");
  if (!SIMULATORS.includes(target)) throw new UsageError(`unknown simulator "${target}"`);
  const source = args.positionals[2];
  const url = `${c.inboxUrl}/scenario/${target}`;
  const res =
    source === undefined
      ? await fetch(url)
      : await fetch(url, {
          method: "PUT",
          headers: { "content-type": "application/json" },
          body: source.trimStart().startsWith("{")
            ? source
            : readFileSync(source === "-" ? 0 : source, "utf8"),
        });
  const body: unknown = await res.json();
  if (!res.ok) {
    const message = (body as { error?: string }).error ?? `HTTP ${res.status}`;
    return { json: { error: message }, text: `error: ${message}`, ok: false };
  }
  return {
    json: body,
    text: `${source === undefined ? "" : `${target} simulator scenario set\n`}${JSON.stringify(body, null, 2)}`,
    ok: true,
  };
};

export const COMMANDS: Record<string, Command> = { start, inbox, check, show, health, incident, scenario };
