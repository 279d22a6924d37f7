/** The CLI's retry loop on plain errors: which refusals it retries, how long it waits, when it stops. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Metadata, status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { OtpError } from "@domain/errors";
import { statusFromError } from "@platform/grpc/status";
import { retryDelay, withRetry } from "./retry";

const asServiceError = (err: OtpError): ServiceError =>
  Object.assign(new Error(err.message), statusFromError(err));
const overloaded = asServiceError(new OtpError("OTP_OVERLOADED", "busy", { retryAfterMs: 400 }));
const invalid = asServiceError(new OtpError("OTP_INVALID_ARGUMENT", "bad phone"));
const dependencyAway = asServiceError(new OtpError("OTP_DEPENDENCY_UNAVAILABLE", "kafka away"));
/** An UNAVAILABLE from the transport (no status details at all). */
const unavailableWithoutHint: ServiceError = Object.assign(new Error("connection dropped"), {
  code: GrpcStatus.UNAVAILABLE,
  details: "connection dropped",
  metadata: new Metadata(),
});

describe("CLI retry", () => {
  it("waits the RetryInfo delay stretched by jitter in [1, 2)", () => {
    assert.deepEqual(
      retryDelay(overloaded, () => 0),
      { ms: 400, reason: "OTP_OVERLOADED" },
    );
    assert.equal(retryDelay(overloaded, () => 0.5)?.ms, 600);
    assert.equal(overloaded.code, GrpcStatus.UNAVAILABLE);
  });

  it("retries a dependency outage after the server's default hint", () => {
    assert.deepEqual(
      retryDelay(dependencyAway, () => 0),
      { ms: 1_000, reason: "OTP_DEPENDENCY_UNAVAILABLE" },
    );
  });

  it("does not retry errors without RetryInfo or that are the caller's", () => {
    assert.equal(
      retryDelay(invalid, () => 0),
      undefined,
    );
    assert.equal(
      retryDelay(unavailableWithoutHint, () => 0),
      undefined,
    );
    assert.equal(
      retryDelay(new Error("socket"), () => 0),
      undefined,
    );
  });

  it("retries refusals until an answer, and gives up after the allowed retries", async () => {
    const waits: number[] = [];
    let calls = 0;
    const policy = { retries: 2, random: () => 0, sleep: async (ms: number) => void waits.push(ms) };
    const answer = await withRetry(async () => {
      if (++calls < 3) throw overloaded;
      return "ok";
    }, policy);
    assert.equal(answer, "ok");
    assert.deepEqual(waits, [400, 400]);
    calls = 0;
    await assert.rejects(
      withRetry(async () => {
        calls++;
        throw overloaded;
      }, policy),
      (err) => err === overloaded,
    );
    assert.equal(calls, 3, "one call and two retries");
  });
});
