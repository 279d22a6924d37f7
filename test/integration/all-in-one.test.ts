/**
 * The all-in-one process as a new user meets it: every service on the embedded bus and store,
 * the simulators as the outside world. A code is started over gRPC, arrives on a simulated
 * handset, and verifies.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { StartVerificationRequest } from "@proto/otp/v1/issuance";
import { IssuanceServiceClient } from "@proto/otp/v1/issuance";
import { CheckCodeRequest, CheckResult, VerificationServiceClient } from "@proto/otp/v1/verification";
import { Channel, DeliveryStatus } from "@proto/otp/v1/common";
import { DEV_TOKENS } from "@platform/development/tokens";
import { createAllInOne, type AllInOne } from "@services/all-in-one/src/all-in-one";
import { inboxOf } from "@services/all-in-one/src/inbox-server";
import { callUnary, createClient } from "@platform/grpc/client";
import { createGrpcServer, type GrpcServer } from "@platform/grpc/server";
import { platformFromEnv, type Platform } from "@platform/runtime/platform";
import { testPorts } from "../support/all-in-one-ports";
import { EVENT_ROLES } from "@domain/events/ownership";

let platform: Platform;
let server: GrpcServer;
let app: AllInOne;
let address: string;
const logs: string[] = [];

before(async () => {
  platform = await platformFromEnv({
    events: EVENT_ROLES["all-in-one"],
    service: "all-in-one-test",
    env: { LOG_LEVEL: "info" },
    logWrite: (l) => logs.push(l),
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
  address = `127.0.0.1:${(await server.start()).port}`;
});

after(async () => {
  await server?.shutdown(500);
  await app?.stop();
  await platform?.close();
});

describe("all-in-one on embedded defaults", () => {
  it("delivers a code to the simulated phone by WhatsApp first, and it verifies", async () => {
    const token = DEV_TOKENS[0]!.token;
    const issuance = createClient(IssuanceServiceClient, {
      address,
      insecure: true,
      token,
      defaultDeadlineMs: 5000,
    });
    const verification = createClient(VerificationServiceClient, {
      address,
      insecure: true,
      token,
      defaultDeadlineMs: 5000,
    });
    const phone = "+6281234567890";
    const started = await callUnary(
      issuance,
      "startVerification",
      StartVerificationRequest.fromPartial({
        phone,
        purpose: "login",
        locale: "id",
        districtHint: "ID-JK-JKS",
      }),
    );
    const id = started.verification!.verificationId;

    let message: ReturnType<typeof inboxOf>[number] | undefined;
    for (let i = 0; i < 100 && !message; i++) {
      message = inboxOf(app.simulators, phone)[0];
      if (!message) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(message, "nothing reached the simulated phone");
    assert.equal(message.channel, "whatsapp");
    const code = /\b(\d{6})\b/.exec(message.text)?.[1];
    assert.ok(code, `no code in "${message.text.replace(/\d/g, "#")}"`);

    const checked = await callUnary(
      verification,
      "checkCode",
      CheckCodeRequest.fromPartial({ target: { $case: "verificationId", value: id }, code }),
    );
    assert.equal(checked.result, CheckResult.CHECK_RESULT_VERIFIED);

    let attempts = (await callUnary(issuance, "getVerification", { verificationId: id })).verification!
      .attempts;
    for (
      let i = 0;
      i < 50 &&
      !attempts.some(
        (a) =>
          a.status === DeliveryStatus.DELIVERY_STATUS_DELIVERED ||
          a.status === DeliveryStatus.DELIVERY_STATUS_READ,
      );
      i++
    ) {
      await new Promise((r) => setTimeout(r, 100));
      attempts = (await callUnary(issuance, "getVerification", { verificationId: id })).verification!
        .attempts;
    }
    assert.equal(attempts[0]?.channel, Channel.CHANNEL_WHATSAPP);
    issuance.close();
    verification.close();
    assert.ok(!logs.join("\n").includes(code), "the code appears in a log line");
  });
});
