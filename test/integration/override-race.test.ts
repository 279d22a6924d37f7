/**
 * Four eyes under concurrency: approvals of one override request racing each other are decided
 * by one script on Redis, so exactly one of them records the override.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { VerificationStatus } from "@proto/otp/v1/common";
import { StartVerificationRequest } from "@proto/otp/v1/issuance";
import { callUnary } from "@platform/grpc/client";
import { startLifecycle, TOKENS, type LifecycleHarness } from "./lifecycle-harness";

let h: LifecycleHarness;

describe("override approval", () => {
  before(async () => {
    h = await startLifecycle();
  });
  after(() => h.close());

  it("of twelve concurrent approvals, exactly one records the override", async () => {
    const started = await callUnary(
      h.issuance(TOKENS.acme),
      "startVerification",
      StartVerificationRequest.fromPartial({ phone: "+6281277700001", purpose: "login", locale: "id" }),
    );
    const verificationId = started.verification!.verificationId;
    const { overrideId } = await callUnary(h.verification(TOKENS.alice), "requestOverride", {
      verificationId,
      reason: "customer identified by branch video call",
    });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, () =>
        callUnary(h.verification(TOKENS.bob), "approveOverride", { overrideId }),
      ),
    );
    const approved = outcomes.filter((o) => o.status === "fulfilled");
    assert.equal(approved.length, 1, "one approval wins");
    assert.equal(approved[0]?.value.verification?.status, VerificationStatus.VERIFICATION_STATUS_VERIFIED);
    for (const o of outcomes) {
      if (o.status === "rejected") assert.equal((o.reason as ServiceError).code, GrpcStatus.NOT_FOUND);
    }
  });

  it("the requesting agent's own approval is refused and leaves the request for a second agent", async () => {
    const started = await callUnary(
      h.issuance(TOKENS.acme),
      "startVerification",
      StartVerificationRequest.fromPartial({ phone: "+6281277700002", purpose: "login", locale: "id" }),
    );
    const { overrideId } = await callUnary(h.verification(TOKENS.alice), "requestOverride", {
      verificationId: started.verification!.verificationId,
      reason: "customer identified by branch video call",
    });
    const selves = await Promise.allSettled(
      Array.from({ length: 4 }, () =>
        callUnary(h.verification(TOKENS.alice), "approveOverride", { overrideId }),
      ),
    );
    for (const o of selves) {
      assert.equal(o.status, "rejected");
      assert.equal((o.reason as ServiceError).code, GrpcStatus.FAILED_PRECONDITION);
    }
    const approved = await callUnary(h.verification(TOKENS.bob), "approveOverride", { overrideId });
    assert.equal(approved.verification?.status, VerificationStatus.VERIFICATION_STATUS_VERIFIED);
  });
});
