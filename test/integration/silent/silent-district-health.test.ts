/**
 * Silent verification and per-district health, in the all-in-one platform against the Open
 * Gateway simulator, with health windows shrunk to seconds (4 s window, 0.5 s buckets, 2 s dwell)
 * and 30 % probes: an operator's gateway going down in one district makes routing leave silent
 * out there (ExplainRoute says why) while the next district keeps it first; probes keep trying it
 * there, and once the operator is back their answers bring silent back first. An incident an
 * operator declares on silent leaves it out at once, and only until it is resolved.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Channel, type Verification, VerificationMethod, VerificationStatus } from "@proto/otp/v1/common";
import {
  IssuanceServiceClient,
  StartVerificationRequest,
  type StartVerificationResponse,
} from "@proto/otp/v1/issuance";
import { RoutingServiceClient, type ExplainRouteResponse } from "@proto/otp/v1/routing";
import { DEV_TOKENS } from "@platform/development/tokens";
import { createAllInOne, type AllInOne } from "@services/all-in-one/src/all-in-one";
import { EVENT_ROLES } from "@domain/events/ownership";
import { callUnary, createClient } from "@platform/grpc/client";
import { createGrpcServer, type GrpcServer } from "@platform/grpc/server";
import { platformFromEnv, type Platform } from "@platform/runtime/platform";
import { testPorts } from "../../support/all-in-one-ports";

const DOWN = "ID-JB-BDG";
const NEXT = "ID-JK-JKS";

let platform: Platform;
let server: GrpcServer;
let app: AllInOne;
let issuance: IssuanceServiceClient;
let routing: RoutingServiceClient;
let admin: RoutingServiceClient;

before(async () => {
  platform = await platformFromEnv({
    events: EVENT_ROLES["all-in-one"],
    service: "silent-health-test",
    env: { LOG_LEVEL: "warn" },
    logWrite: () => {},
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
    routing: {
      health: {
        windowMs: 4_000,
        bucketMs: 500,
        minSamples: 4,
        minDwellMs: 2_000,
        flushMs: 50,
        cacheMs: 50,
        downThreshold: 7,
      },
      routing: { probeShare: 0.3 },
      healthEvaluateIntervalMs: 100,
      incidentCacheMs: 50,
    },
  });
  await app.start();
  const address = `127.0.0.1:${(await server.start()).port}`;
  const options = { address, insecure: true as const, defaultDeadlineMs: 5000 };
  issuance = createClient(IssuanceServiceClient, { ...options, token: DEV_TOKENS[0]!.token });
  routing = createClient(RoutingServiceClient, { ...options, token: DEV_TOKENS[0]!.token });
  admin = createClient(RoutingServiceClient, { ...options, token: DEV_TOKENS[1]!.token });
});

after(async () => {
  for (const c of [issuance, routing, admin]) c?.close();
  await server?.shutdown(500);
  await app?.stop();
  await platform?.close();
});

let serial = 0;
/**
 * A new Telkomsel number each time, so no per-phone limit is reached; the digit after +62812
 * turns too, so the numbers fall under ten destination prefixes (the default policy allows 60
 * sends a minute per seven-digit prefix, and these tests send more).
 */
const nextPhone = (): string => {
  const n = serial++;
  return `+62812${n % 10}${String(500_000 + n).padStart(6, "0")}`;
};

const start = (phone: string, district: string): Promise<StartVerificationResponse> =>
  callUnary(
    issuance,
    "startVerification",
    StartVerificationRequest.fromPartial({
      phone,
      purpose: "login_silent",
      locale: "id",
      districtHint: district,
      mobileData: true,
    }),
  );

async function planOf(verificationId: string): Promise<ExplainRouteResponse> {
  for (let i = 0; i < 100; i++) {
    const explained = await callUnary(routing, "explainRoute", { verificationId });
    if (explained.decisions.length > 0) return explained;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`no route planned for ${verificationId}`);
}

interface Tried {
  verificationId: string;
  district: string;
  rule: string;
  reason: string;
  firstChannel: Channel | undefined;
  /** The device's answer from the connector, when the app had a silent URL to open. */
  answer?: string;
}

/** A user on mobile data in `district`: starts, and opens the silent URL if it was given one. */
async function verifyIn(district: string): Promise<Tried> {
  const phone = nextPhone();
  const started = await start(phone, district);
  let answer: string | undefined;
  if (started.silentAuthUrl !== "") {
    const headers = { "x-simulated-device": phone, "x-simulated-district": district };
    const first = await fetch(started.silentAuthUrl, { headers, redirect: "manual" });
    const callback = await fetch(first.headers.get("location") ?? "", { redirect: "manual" });
    answer = ((await callback.json()) as { result: string }).result;
  }
  const plan = await planOf(started.verification!.verificationId);
  const first = plan.decisions[0]!;
  return {
    verificationId: started.verification!.verificationId,
    district,
    rule: first.rule,
    reason: first.reason,
    firstChannel: plan.plannedSteps[0]?.channel,
    answer,
  };
}

/** The verification once it is verified. */
async function eventually(verificationId: string): Promise<Verification> {
  for (let i = 0; i < 100; i++) {
    const v = (await callUnary(issuance, "getVerification", { verificationId })).verification!;
    if (v.status === VerificationStatus.VERIFICATION_STATUS_VERIFIED) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`${verificationId} never verified`);
}

/** Users in both districts, a pair at a time, until `done` holds for what was seen. */
async function trafficUntil(what: string, done: (seen: Tried[]) => boolean, rounds = 150): Promise<Tried[]> {
  const seen: Tried[] = [];
  for (let i = 0; i < rounds && !done(seen); i++) {
    seen.push(...(await Promise.all([verifyIn(DOWN), verifyIn(NEXT)])));
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(done(seen), `${what}: ${JSON.stringify(seen.slice(-6))}`);
  return seen;
}

const skipped = (t: Tried) => t.district === DOWN && t.rule === "district-skip:silent-down";
const probed = (t: Tried) => t.district === DOWN && t.rule === "district-probe:silent-down";

describe("silent verification and per-district health", () => {
  it("an operator down in one district: skipped there, probed, kept next door, and back once it recovers", async () => {
    app.simulators.openGateway.setScenario({ behaviour: "match", devices: {}, districtsDown: [DOWN] });
    const outage = await trafficUntil(
      "silent left out where the operator is down, and probed there",
      (seen) => {
        const firstSkip = seen.findIndex(skipped);
        return firstSkip >= 0 && seen.slice(firstSkip).some(probed);
      },
    );
    const firstSkip = outage.findIndex(skipped);
    const skip = outage[firstSkip]!;
    assert.equal(skip.firstChannel, Channel.CHANNEL_WHATSAPP, "the first code goes out at once");
    // Issuance answered before routing planned: an app that opens the URL anyway gets the
    // operator's answer, which changes nothing here (no silent attempt, no health sample).
    assert.equal(skip.answer, "not_verified");
    assert.match(skip.reason, new RegExp(`silent down in ${DOWN}: .*not tried: whatsapp`));
    // While it is left out there, the next district still verifies silently.
    const next = outage.slice(firstSkip).filter((t) => t.district === NEXT);
    assert.ok(next.length > 0);
    for (const t of next) {
      assert.equal(t.firstChannel, Channel.CHANNEL_SILENT, JSON.stringify(t));
      assert.equal(t.answer, "verified");
    }
    // A probe still tries silent where it is down, and says so.
    const probe = outage.slice(firstSkip).find(probed)!;
    assert.equal(probe.firstChannel, Channel.CHANNEL_SILENT);
    assert.match(
      probe.reason,
      new RegExp(`probing whether silent recovered in ${DOWN} \\(30% of verifications\\)`),
    );
    assert.equal(probe.answer, "not_verified", "the operator is still down");

    // The operator comes back: the probes' answers are verified, and silent is first again.
    app.simulators.openGateway.setScenario({ districtsDown: [] });
    const recovery = await trafficUntil("silent first again where the operator recovered", (seen) =>
      seen.some(
        (t) =>
          t.district === DOWN && t.rule.startsWith("workflow:") && t.firstChannel === Channel.CHANNEL_SILENT,
      ),
    );
    const back = recovery.find((t) => t.district === DOWN && t.rule.startsWith("workflow:"))!;
    assert.equal(back.answer, "verified");
    assert.ok(
      recovery.some((t) => probed(t) && t.answer === "verified"),
      "it came back through the probes' answers",
    );
  });

  it("an incident declared on silent in a district leaves it out there until it is resolved", async () => {
    const declared = await callUnary(admin, "declareIncident", {
      district: NEXT,
      channels: [Channel.CHANNEL_SILENT],
      notices: {},
    });
    const id = declared.incident!.incidentId;
    try {
      const during = await trafficUntil("incident-skip in the incident's district", (seen) =>
        seen.some((t) => t.district === NEXT && t.rule === "incident-skip:silent"),
      );
      const skip = during.find((t) => t.district === NEXT && t.rule === "incident-skip:silent")!;
      assert.match(skip.reason, new RegExp(`incident ${id} on silent, not tried: whatsapp`));
      assert.equal(skip.firstChannel, Channel.CHANNEL_WHATSAPP);
      // The operator works: an app that opened the URL issuance gave anyway is verified by the
      // network (ADR 0013), the WhatsApp code already sent is simply not needed.
      assert.equal(skip.answer, "verified");
      const v = await eventually(skip.verificationId);
      assert.equal(v.verificationMethod, VerificationMethod.VERIFICATION_METHOD_NETWORK);
      assert.equal(v.attempts[0]?.channel, Channel.CHANNEL_WHATSAPP);
    } finally {
      await callUnary(admin, "resolveIncident", { incidentId: id });
    }
    await trafficUntil("silent first again once resolved", (seen) =>
      seen.some(
        (t) => t.district === NEXT && t.firstChannel === Channel.CHANNEL_SILENT && t.answer === "verified",
      ),
    );
  });
});
