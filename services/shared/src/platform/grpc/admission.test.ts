/**
 * Admission in the real server on loopback: a call past the bound is answered OTP_OVERLOADED
 * with RetryInfo without reaching its handler, while a method of the "verify" class still gets
 * through, and methods without a class are never refused for load.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import {
  CancelVerificationRequest,
  IssuanceServiceClient,
  IssuanceServiceService,
  StartVerificationRequest,
} from "@proto/otp/v1/issuance";
import { DEFAULT_SETTINGS } from "@domain/admission/control";
import { createAdmissionGate } from "../admission/gate";
import { silentLogger } from "../log";
import { callUnary, createClient } from "./client";
import { createGrpcServer, type GrpcServer } from "./server";
import { decodeStatusDetails, overloadedStatus } from "./status";
import { createTestIssuance } from "@test/support/grpc-test-service";

const TOKEN = "dev-token-tenant-0123456789";

describe("grpc server admission", () => {
  let server: GrpcServer;
  let client: IssuanceServiceClient;
  const { handlers, probe } = createTestIssuance();

  before(async () => {
    const gate = createAdmissionGate({
      settings: { ...DEFAULT_SETTINGS, maxInFlight: 1 },
      sampleLoop: () => ({ elu: 0.1, loopLagMs: 0 }),
      weightOf: () => 1,
      refusalStatus: overloadedStatus,
      now: Date.now,
      logger: silentLogger(),
    });
    server = createGrpcServer({
      address: "127.0.0.1:0",
      insecure: true,
      tokens: [{ token: TOKEN, principal: "tenant:acme-bank", tenant: "acme-bank", roles: ["tenant"] }],
      logger: silentLogger(),
      admission: gate,
    });
    server.addService(IssuanceServiceService, handlers, {
      admission: { startVerification: "start", cancelVerification: "verify" },
    });
    const { port } = await server.start();
    client = createClient(IssuanceServiceClient, {
      address: `127.0.0.1:${port}`,
      insecure: true,
      token: TOKEN,
    });
  });

  after(async () => {
    client.close();
    await server.shutdown(1_000);
  });

  it("refuses a start past the bound before its handler, lets a cancellation and an ungated read through", async () => {
    // One start holds the only slot until its deadline.
    const holding = callUnary(
      client,
      "startVerification",
      StartVerificationRequest.fromPartial({ phone: "+6281234567890", purpose: "hang" }),
      {
        deadlineMs: 1_500,
      },
    ).catch((err: unknown) => err);
    for (let i = 0; probe.calls === 0; i++) {
      assert.ok(i < 1_000, "the first start never reached its handler");
      await new Promise((r) => setTimeout(r, 5));
    }
    const callsBefore = probe.calls;

    const refused = await callUnary(
      client,
      "startVerification",
      StartVerificationRequest.fromPartial({ phone: "+6281234567891", purpose: "x" }),
    )
      .then(() => assert.fail("expected a refusal"))
      .catch((err: unknown) => err as grpc.ServiceError);
    assert.equal(refused.code, grpc.status.UNAVAILABLE);
    const details = decodeStatusDetails(refused);
    assert.equal(details.reason, "OTP_OVERLOADED");
    assert.ok((details.retryAfterMs ?? 0) > 0, "a refusal says when to come back");
    assert.equal(probe.calls, callsBefore, "the refused call never reached its handler");

    const cancelled = await callUnary(
      client,
      "cancelVerification",
      CancelVerificationRequest.fromPartial({ verificationId: "v-9" }),
    );
    assert.equal(cancelled.verification?.verificationId, "v-9");
    const read = await callUnary(client, "getVerification", { verificationId: "v-8" });
    assert.equal(read.verification?.verificationId, "v-8");
    await holding;
  });
});
