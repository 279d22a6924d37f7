/**
 * `npm start` bound to an SMSC we did not write: Perl's Net::SMPP SMSC (Debian package
 * libnet-smpp-perl, required) named by SMPP_CONFIG. The process is started as the npm script
 * starts it; a code asked for by SMS reaches that SMSC over real SMPP, verifies, and the
 * attempt's delivered_at is the receipt's arrival, not the SMSC's done date (the Perl SMSC
 * reports one from 2024).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { it } from "node:test";
import { Channel, DeliveryStatus } from "@proto/otp/v1/common";
import { IssuanceServiceClient, StartVerificationRequest } from "@proto/otp/v1/issuance";
import { CheckCodeRequest, CheckResult, VerificationServiceClient } from "@proto/otp/v1/verification";
import { DEV_TOKENS } from "@platform/development/tokens";
import { callUnary, createClient } from "@platform/grpc/client";
import { ANY_FREE_PORTS, NPM_START_ARGS, ROOT } from "../support/npm-start";

/** Output lines of a child process, and a wait for the first one matching. */
function lineWatcher(stream: NodeJS.ReadableStream) {
  const lines: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (m: RegExpExecArray) => void }> = [];
  createInterface({ input: stream }).on("line", (line) => {
    lines.push(line);
    for (const w of [...waiters]) {
      const m = w.re.exec(line);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const wait = (re: RegExp, what: string, timeoutMs: number): Promise<RegExpExecArray> => {
    for (const line of lines) {
      const m = re.exec(line);
      if (m) return Promise.resolve(m);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
      waiters.push({ re, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  };
  return { lines, wait };
}

it("npm start with SMPP_CONFIG sends codes through a foreign SMSC", async () => {
  const probe = spawnSync("perl", ["-MNet::SMPP", "-e", "1"]);
  assert.equal(probe.status, 0, "Perl Net::SMPP is missing: apt-get install -y libnet-smpp-perl");
  const perl = spawn("perl", [join(ROOT, "gateway-smpp/test/interop/net-smpp-smsc.pl"), "120"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const smsc = lineWatcher(perl.stdout);
  const perlExited = new Promise((resolve) => perl.on("close", resolve));
  const port = Number((await smsc.wait(/^listening (\d+)/, "Perl SMSC", 10_000))[1]);

  const dir = mkdtempSync(join(tmpdir(), "otp-smsc-"));
  const configFile = join(dir, "smpp.json");
  writeFileSync(
    configFile,
    JSON.stringify({
      accounts: {
        "perl-smsc": {
          host: "127.0.0.1",
          port,
          systemId: "otp-router",
          passwordEnv: "PERL_SMSC_PASSWORD",
          bindMode: "transceiver",
          binds: 1,
          window: 2,
          tps: 10,
        },
      },
      routes: { "sms-perl": ["perl-smsc"] },
      defaultRoute: "sms-perl",
    }),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...ANY_FREE_PORTS,
    SMPP_CONFIG: configFile,
    PERL_SMSC_PASSWORD: "pw",
    LOG_LEVEL: "warn",
  };
  delete env.KAFKA_BROKERS; // the embedded bus and store, as a new user starts it
  delete env.REDIS_URL;
  const app = spawn(process.execPath, NPM_START_ARGS, {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const out = lineWatcher(app.stdout);
  const appExited = new Promise((resolve) => app.on("close", resolve));
  try {
    const grpc = (await out.wait(/gRPC\s+(\S+:\d+)/, "gRPC address in the banner", 90_000))[1]!;
    assert.ok(
      out.lines.some((l) => l.includes(`perl-smsc 127.0.0.1:${port}`)),
      "the banner names the SMSC",
    );
    await smsc.wait(/^bind otp-router pw$/, "bind at the Perl SMSC", 10_000);

    const token = DEV_TOKENS[0]!.token;
    const issuance = createClient(IssuanceServiceClient, {
      address: grpc,
      insecure: true,
      token,
      defaultDeadlineMs: 5_000,
    });
    const verification = createClient(VerificationServiceClient, {
      address: grpc,
      insecure: true,
      token,
      defaultDeadlineMs: 5_000,
    });
    try {
      const started = await callUnary(
        issuance,
        "startVerification",
        StartVerificationRequest.fromPartial({
          phone: "+6281234567890",
          purpose: "login",
          locale: "en",
          districtHint: "ID-JK-JKS",
          channelPreference: Channel.CHANNEL_SMS,
        }),
      );
      const id = started.verification!.verificationId;
      const submit = await smsc.wait(
        /^submit_sm .* dst=6281234567890 .* sm=([0-9a-f]+)$/,
        "submit_sm at the Perl SMSC",
        15_000,
      );
      // GSM 03.38 unpacked septets: digits and Latin letters are their ASCII values.
      const text = Buffer.from(submit[1]!, "hex").toString("latin1");
      const code = /\b(\d{6})\b/.exec(text)?.[1];
      assert.ok(code, "a six-digit code in the text");

      let attempt;
      for (let i = 0; i < 100; i++) {
        const view = await callUnary(issuance, "getVerification", { verificationId: id });
        attempt = view.verification!.attempts.find((a) => a.channel === Channel.CHANNEL_SMS);
        if (attempt?.status === DeliveryStatus.DELIVERY_STATUS_DELIVERED) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(
        attempt?.status,
        DeliveryStatus.DELIVERY_STATUS_DELIVERED,
        "the Perl SMSC's receipt came back",
      );
      assert.ok(attempt?.requestedAt && attempt.deliveredAt, "request and delivery times");
      // Strictly after: the receipt crossed a Perl process after the request; the 2024 done date
      // would come out as the request time itself (the domain never puts a delivery before it).
      assert.ok(
        attempt.deliveredAt.getTime() > attempt.requestedAt.getTime(),
        "delivered_at is the receipt's arrival, not the SMSC's 2024 done date",
      );

      const checked = await callUnary(
        verification,
        "checkCode",
        CheckCodeRequest.fromPartial({ target: { $case: "verificationId", value: id }, code }),
      );
      assert.equal(checked.result, CheckResult.CHECK_RESULT_VERIFIED);
    } finally {
      issuance.close();
      verification.close();
    }
    app.kill("SIGTERM");
    await appExited;
    await smsc.wait(/^unbind$/, "unbind at the Perl SMSC on SIGTERM", 10_000);
  } finally {
    app.kill("SIGKILL");
    perl.kill();
    await perlExited;
    rmSync(dir, { recursive: true, force: true });
  }
});
