/**
 * The CLI as a user runs it: a child process talking gRPC to an all-in-one process (here in the
 * test's own process, on free ports) and HTTP to the simulated handsets' inbox.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { DEV_TOKENS } from "@platform/development/tokens";
import { createAllInOne, type AllInOne } from "@services/all-in-one/src/all-in-one";
import { createGrpcServer, type GrpcServer } from "@platform/grpc/server";
import { platformFromEnv, type Platform } from "@platform/runtime/platform";
import { testPorts } from "../support/all-in-one-ports";
import { EVENT_ROLES } from "@domain/events/ownership";

let platform: Platform;
let server: GrpcServer;
let app: AllInOne;
let env: NodeJS.ProcessEnv;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Asynchronous on purpose: the server answering the CLI runs in this process. */
function otp(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "services/cli/src/main.ts", ...args],
      { env, cwd: process.cwd(), timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function otpJson<T>(...args: string[]): Promise<T> {
  const run = await otp(...args, "--json");
  assert.equal(run.code, 0, `otp ${args.join(" ")} exited ${run.code}: ${run.stderr}${run.stdout}`);
  return JSON.parse(run.stdout) as T;
}

before(async () => {
  platform = await platformFromEnv({
    events: EVENT_ROLES["all-in-one"],
    service: "cli-test",
    env: { LOG_LEVEL: "warn" },
    logWrite: () => {},
  });
  server = createGrpcServer({
    address: "127.0.0.1:0",
    insecure: true,
    tokens: DEV_TOKENS,
    logger: platform.logger,
  });
  const ports = await testPorts();
  app = await createAllInOne(platform, server, {
    host: "127.0.0.1",
    ports,
    retentionMs: 3_600_000,
  });
  await app.start();
  const address = `127.0.0.1:${(await server.start()).port}`;
  const { OTP_TOKEN: _token, ...rest } = process.env;
  env = { ...rest, OTP_ADDRESS: address, OTP_INBOX_URL: app.inboxUrl };
});

after(async () => {
  await server?.shutdown(500);
  await app?.stop();
  await platform?.close();
});

describe("otp CLI against the all-in-one process", () => {
  const phone = "+6281298765432";
  let verificationId = "";

  it("starts a verification, reads the code from the inbox and verifies it", async () => {
    const started = await otpJson<{ verification: { verificationId: string }; reused: boolean }>(
      "start",
      phone,
      "--district",
      "ID-JK-JKS",
      "--locale",
      "id",
    );
    verificationId = started.verification.verificationId;
    assert.match(verificationId, /\S/);
    assert.equal(started.reused, false);

    let code: string | null = null;
    for (let i = 0; i < 40 && code === null; i++) {
      code = (await otpJson<{ latestCode: string | null }>("inbox", phone)).latestCode;
      if (code === null) await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(code, "no code reached the simulated phone");

    const wrong = await otp("check", verificationId, code === "000000" ? "111111" : "000000");
    assert.equal(wrong.code, 1);
    assert.match(wrong.stdout, /REJECTED/);

    const checked = await otp("check", verificationId, code);
    assert.equal(checked.code, 0, checked.stderr);
    assert.match(checked.stdout, /^VERIFIED/);
  });

  it("shows the verification's history with the delivery attempt and the route decisions", async () => {
    const shown = await otpJson<{
      verification: { status: string; attempts: { channel: string }[] };
      route: { decisions: unknown[] };
    }>("show", verificationId);
    assert.equal(shown.verification.status, "VERIFICATION_STATUS_VERIFIED");
    assert.equal(shown.verification.attempts[0]?.channel, "CHANNEL_WHATSAPP");
    assert.ok(shown.route.decisions.length >= 1);
    const human = await otp("show", verificationId);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /status\s+verified/);
    assert.match(human.stdout, /whatsapp/);
    assert.ok(!human.stdout.includes(phone), "the full phone number is printed");
  });

  it("shows channel health", async () => {
    const health = await otp("health", "ID-JK-JKS");
    assert.equal(health.code, 0, health.stderr);
    assert.match(health.stdout, /recommended channel: /);
  });

  it("declares, lists and resolves an incident with an admin token, and refuses the tenant token", async () => {
    const refused = await otp("incident", "declare", "ID-JK-JKS", "--channels", "whatsapp", "--until", "1h");
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /PERMISSION_DENIED/);

    const admin = ["--token", DEV_TOKENS[1]!.token];
    const declared = await otpJson<{ incident: { incidentId: string; district: string } }>(
      "incident",
      "declare",
      "ID-JK-JKS",
      "--channels",
      "whatsapp",
      "--until",
      "1h",
      "--notice.en",
      "WhatsApp codes are delayed in South Jakarta",
      ...admin,
    );
    assert.equal(declared.incident.district, "ID-JK-JKS");
    const listed = await otpJson<{ incidents: { incidentId: string }[] }>(
      "incident",
      "list",
      "ID-JK-JKS",
      ...admin,
    );
    assert.ok(listed.incidents.some((i) => i.incidentId === declared.incident.incidentId));
    const resolved = await otpJson<{ incident: { resolvedAt?: string } }>(
      "incident",
      "resolve",
      declared.incident.incidentId,
      ...admin,
    );
    assert.ok(resolved.incident.resolvedAt);
  });

  it("changes a simulator's scenario and reports a bad one", async () => {
    const set = await otp("scenario", "sms", '{"default":{"receiptDelayMs":50}}');
    assert.equal(set.code, 0, set.stderr);
    assert.equal(
      (await otpJson<{ default: { receiptDelayMs: number } }>("scenario", "sms")).default.receiptDelayMs,
      50,
    );
    const bad = await otp("scenario", "voice", '{"callsPerSecond":-1}');
    assert.equal(bad.code, 1);
  });

  it("prints usage and exits 2 on an unknown command", async () => {
    const run = await otp("frobnicate");
    assert.equal(run.code, 2);
    assert.match(run.stderr, /usage: otp/);
  });
});
