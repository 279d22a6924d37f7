/**
 * Silent network authentication end to end, in the all-in-one platform against the Open Gateway
 * simulator: the app opens the authorization URL StartVerification returned, as a handset on
 * mobile data would (the simulator reads the SIM and the cell's district from headers), follows
 * the operator's redirect to the silent connector, and the verification ends verified by the
 * network, or falls back at once to the next channel.
 */
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { decodeStatusDetails } from "@platform/grpc/status";
import { after, before, beforeEach, describe, it } from "node:test";
import { Channel, DeliveryStatus, VerificationMethod, VerificationStatus } from "@proto/otp/v1/common";
import {
  IssuanceServiceClient,
  StartVerificationRequest,
  type StartVerificationResponse,
} from "@proto/otp/v1/issuance";
import { RoutingServiceClient } from "@proto/otp/v1/routing";
import { DEV_TOKENS } from "@platform/development/tokens";
import { createAllInOne, type AllInOne } from "@services/all-in-one/src/all-in-one";
import { inboxOf } from "@services/all-in-one/src/inbox-server";
import { callUnary, createClient } from "@platform/grpc/client";
import { createGrpcServer, type GrpcServer } from "@platform/grpc/server";
import { EVENT_ROLES } from "@domain/events/ownership";
import { platformFromEnv, type Platform } from "@platform/runtime/platform";
import { testPorts } from "../../support/all-in-one-ports";

let platform: Platform;
let server: GrpcServer;
let app: AllInOne;
let issuance: IssuanceServiceClient;
let routing: RoutingServiceClient;
const logs: string[] = [];

// A purpose that must never rely on a code: silent only.
const POLICY = {
  default: {
    workflows: { silent_only: [{ channel: "silent", timeoutSeconds: 10, advanceWhen: "not_delivered" }] },
    purposes: { payment_silent: { riskTier: "high", workflow: "silent_only", allowedChannels: ["silent"] } },
  },
};

before(async () => {
  const policyFile = join(await mkdtemp(join(tmpdir(), "silent-policy-")), "policy.json");
  await writeFile(policyFile, JSON.stringify(POLICY));
  platform = await platformFromEnv({
    events: EVENT_ROLES["all-in-one"],
    service: "silent-flow-test",
    env: { LOG_LEVEL: "info", OTP_POLICY_FILE: policyFile },
    logWrite: (l) => logs.push(l),
  });
  server = createGrpcServer({
    address: "127.0.0.1:0",
    insecure: true,
    tokens: DEV_TOKENS,
    logger: platform.logger,
  });
  app = await createAllInOne(platform, server, {
    host: "127.0.0.1",
    ports: await testPorts(),
    retentionMs: 3_600_000,
    // Judge a district's health on a handful of outcomes (a lower bar than the default 11), and
    // never probe a down channel.
    routing: {
      health: { minSamples: 3, flushMs: 50, cacheMs: 50, downThreshold: 7 },
      routing: { probeShare: 0 },
      healthEvaluateIntervalMs: 100,
    },
  });
  await app.start();
  const address = `127.0.0.1:${(await server.start()).port}`;
  const options = { address, insecure: true as const, token: DEV_TOKENS[0]!.token, defaultDeadlineMs: 5000 };
  issuance = createClient(IssuanceServiceClient, options);
  routing = createClient(RoutingServiceClient, options);
});

after(async () => {
  issuance?.close();
  routing?.close();
  await server?.shutdown(500);
  await app?.stop();
  await platform?.close();
});

beforeEach(() =>
  app.simulators.openGateway.setScenario({ behaviour: "match", devices: {}, districtsDown: [] }),
);

const start = (phone: string, district: string, mobileData = true): Promise<StartVerificationResponse> =>
  callUnary(
    issuance,
    "startVerification",
    StartVerificationRequest.fromPartial({
      phone,
      purpose: "login_silent",
      locale: "id",
      districtHint: district,
      mobileData,
    }),
  );

/** The handset: opens the URL over its data session and follows the operator's redirect. */
async function openOverMobileData(
  url: string,
  device: string,
  district: string,
): Promise<{ status: number; body: unknown; callback: string }> {
  const headers = { "x-simulated-device": device, "x-simulated-district": district };
  const first = await fetch(url, { headers, redirect: "manual" });
  assert.equal(first.status, 302, "the operator redirects to the callback");
  const callback = first.headers.get("location") ?? "";
  const second = await fetch(callback, { redirect: "manual" });
  return { status: second.status, body: await second.json(), callback };
}

async function eventually<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  tries = 200,
): Promise<T> {
  let value = await read();
  for (let i = 0; i < tries && !done(value); i++) {
    await new Promise((r) => setTimeout(r, 100));
    value = await read();
  }
  assert.ok(
    done(value),
    `${what}: ${JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))}`,
  );
  return value;
}

const get = async (id: string) =>
  (await callUnary(issuance, "getVerification", { verificationId: id })).verification!;

const explain = (id: string) => callUnary(routing, "explainRoute", { verificationId: id });

describe("silent network authentication against the Open Gateway simulator", () => {
  it("match: the network verifies the number, with no code sent and the method on Get", async () => {
    const phone = "+6281234500001";
    const started = await start(phone, "ID-JK-JKS");
    assert.match(started.silentAuthUrl, /\/authorize\?.*response_type=code/);
    assert.match(started.silentAuthUrl, /scope=openid\+number-verification%3Averify/);
    assert.ok(!started.silentAuthUrl.includes("6281234500001"), "the URL carries no phone number");
    const id = started.verification!.verificationId;

    const opened = await openOverMobileData(started.silentAuthUrl, phone, "ID-JK-JKS");
    assert.deepEqual([opened.status, opened.body], [200, { result: "verified" }]);

    const done = await eventually(
      "verified by the network",
      () => get(id),
      (v) => v.status === VerificationStatus.VERIFICATION_STATUS_VERIFIED,
    );
    assert.equal(done.verificationMethod, VerificationMethod.VERIFICATION_METHOD_NETWORK);
    assert.equal(done.attempts[0]?.channel, Channel.CHANNEL_SILENT);
    assert.equal(done.attempts[0]?.status, DeliveryStatus.DELIVERY_STATUS_DELIVERED);
    assert.equal(done.attempts.length, 1, "nothing else was sent");
    assert.deepEqual(inboxOf(app.simulators, phone), []);

    // The state is single use: the same redirect again changes nothing.
    const replay = await fetch(opened.callback);
    assert.equal(replay.status, 400);
    assert.deepEqual(await replay.json(), { result: "unknown_or_used" });
    assert.ok(!logs.some((l) => /code=|access_token|state=/.test(l)), "no code, token or state in the logs");
  });

  it("mismatch: the next channel goes out at once, as a hard failure rather than a timeout", async () => {
    const phone = "+6281234500002";
    app.simulators.openGateway.setScenario({ devices: { [phone]: "mismatch" } });
    const started = await start(phone, "ID-JK-JKS");
    const id = started.verification!.verificationId;
    const opened = await openOverMobileData(started.silentAuthUrl, phone, "ID-JK-JKS");
    assert.deepEqual(opened.body, { result: "not_verified" });

    const after = await eventually(
      "fell back",
      () => get(id),
      (v) => v.attempts.length >= 2,
    );
    assert.equal(after.attempts[0]?.status, DeliveryStatus.DELIVERY_STATUS_FAILED);
    assert.equal(after.attempts[0]?.failureReason, "SILENT_NUMBER_MISMATCH");
    assert.equal(after.attempts[1]?.channel, Channel.CHANNEL_WHATSAPP);
    assert.notEqual(after.status, VerificationStatus.VERIFICATION_STATUS_VERIFIED);
    const decisions = (await explain(id)).decisions;
    assert.ok(
      decisions.some((d) => d.attempt === 2 && d.rule.startsWith("fallback:hard-failure")),
      JSON.stringify(decisions.map((d) => d.rule)),
    );
  });

  it("no answer: the step's timer falls back to WhatsApp within the step timeout", async () => {
    const phone = "+6281234500003";
    const started = await start(phone, "ID-JK-JKS");
    const id = started.verification!.verificationId;
    const stepEnds = started.silentAuthExpiresAt!.getTime();
    // The app never opens the URL (Wi-Fi switched on, app killed).
    const after = await eventually(
      "fell back",
      () => get(id),
      (v) => v.attempts.length >= 2,
      300,
    );
    assert.equal(after.attempts[1]?.channel, Channel.CHANNEL_WHATSAPP);
    const decision = (await explain(id)).decisions.find((d) => d.attempt === 2);
    assert.ok(decision, "a decision for attempt 2");
    assert.ok(decision?.rule.startsWith("fallback:timeout"), decision?.rule);
    assert.ok(decision.at);
    assert.match(decision.reason, /silent: no delivery receipt within 10 s/);
    // The step's deadline, as the app was told, is the one routing held to.
    assert.ok(decision.at.getTime() >= stepEnds - 1_000, "not before the step's deadline");
  });

  it("says why silent was not tried when the device is not on mobile data", async () => {
    const started = await start("+6281234500004", "ID-JK-JKS", false);
    assert.equal(started.silentAuthUrl, "");
    const id = started.verification!.verificationId;
    const plan = await eventually(
      "planned",
      () => explain(id),
      (e) => e.decisions.length > 0,
    );
    assert.match(
      plan.decisions[0]!.reason,
      /silent not tried: silent network verification needs the device on mobile data/,
    );
    assert.equal(plan.plannedSteps[0]?.channel, Channel.CHANNEL_WHATSAPP);
  });

  it("a purpose that may rely only on silent refuses a start it cannot serve, naming the field", async () => {
    const refusal = async (phone: string, mobileData: boolean) => {
      const err = await callUnary(
        issuance,
        "startVerification",
        StartVerificationRequest.fromPartial({
          phone,
          purpose: "payment_silent",
          districtHint: "ID-JK-JKS",
          mobileData,
        }),
      ).then(
        () => assert.fail("started"),
        (e: unknown) => e as ServiceError,
      );
      assert.equal(err.code, GrpcStatus.FAILED_PRECONDITION);
      const details = decodeStatusDetails(err);
      assert.equal(details.reason, "OTP_NO_ALLOWED_CHANNEL");
      return details.violations.map((v) => v.field);
    };
    assert.deepEqual(await refusal("+6281234500501", false), ["mobile_data"]);
    // Tri has no gateway in the simulated set: the number itself cannot be served.
    assert.deepEqual(await refusal("+6289512345678", true), ["phone"]);
    const served = await callUnary(
      issuance,
      "startVerification",
      StartVerificationRequest.fromPartial({
        phone: "+6281234500502",
        purpose: "payment_silent",
        districtHint: "ID-JK-JKS",
        mobileData: true,
      }),
    );
    assert.notEqual(served.silentAuthUrl, "");
  });

  it("operator down in one district: routing stops trying silent there, and only there", async () => {
    app.simulators.openGateway.setScenario({ districtsDown: ["ID-JB-BDG"] });
    for (let i = 0; i < 4; i++) {
      const phone = `+62812345001${i}0`;
      const started = await start(phone, "ID-JB-BDG");
      const opened = await openOverMobileData(started.silentAuthUrl, phone, "ID-JB-BDG");
      assert.deepEqual(opened.body, { result: "not_verified" });
    }
    const skipped = await eventually(
      "silent skipped in ID-JB-BDG",
      async () => {
        const s = await start(
          `+62812345002${Math.floor(Math.random() * 10)}${Math.floor(Math.random() * 10)}`,
          "ID-JB-BDG",
        );
        return eventually(
          "planned",
          () => explain(s.verification!.verificationId),
          (e) => e.decisions.length > 0,
        );
      },
      (e) => e.decisions[0]!.rule === "district-skip:silent-down",
      20,
    );
    assert.equal(skipped.plannedSteps[0]?.channel, Channel.CHANNEL_WHATSAPP);
    assert.match(skipped.decisions[0]!.reason, /silent down in ID-JB-BDG/);

    const elsewhere = await start("+6281234500399", "ID-JK-JKS");
    const plan = await eventually(
      "planned",
      () => explain(elsewhere.verification!.verificationId),
      (e) => e.decisions.length > 0,
    );
    assert.equal(plan.plannedSteps[0]?.channel, Channel.CHANNEL_SILENT);
  });
});
