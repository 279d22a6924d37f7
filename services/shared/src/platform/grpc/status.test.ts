import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Metadata, status as GrpcCode } from "@grpc/grpc-js";
import { ERROR_CODES, type ErrorCode, OtpError } from "@domain/errors";
import { createLogger, type LogFields } from "../log";
import {
  decodeStatusDetails,
  grpcCodeFor,
  statusFromError,
  STATUS_DETAILS_TRAILER,
  toGrpcStatus,
} from "./status";

function captureLogger(): { logger: ReturnType<typeof createLogger>; lines: LogFields[] } {
  const lines: LogFields[] = [];
  return { logger: createLogger({ write: (line) => lines.push(JSON.parse(line) as LogFields) }), lines };
}

describe("gRPC status mapping", () => {
  it("maps every error code to a non-OK status", () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      assert.notEqual(grpcCodeFor(code), GrpcCode.OK, code);
    }
  });

  it("maps the codes clients act on to the conventional statuses", () => {
    assert.equal(grpcCodeFor("OTP_INVALID_ARGUMENT"), GrpcCode.INVALID_ARGUMENT);
    assert.equal(grpcCodeFor("OTP_UNAUTHENTICATED"), GrpcCode.UNAUTHENTICATED);
    assert.equal(grpcCodeFor("OTP_PERMISSION_DENIED"), GrpcCode.PERMISSION_DENIED);
    assert.equal(grpcCodeFor("OTP_NOT_FOUND"), GrpcCode.NOT_FOUND);
    assert.equal(grpcCodeFor("OTP_ALREADY_EXISTS"), GrpcCode.ALREADY_EXISTS);
    assert.equal(grpcCodeFor("OTP_FAILED_PRECONDITION"), GrpcCode.FAILED_PRECONDITION);
    assert.equal(grpcCodeFor("OTP_RATE_LIMITED"), GrpcCode.RESOURCE_EXHAUSTED);
    assert.equal(grpcCodeFor("OTP_DEPENDENCY_UNAVAILABLE"), GrpcCode.UNAVAILABLE);
    assert.equal(grpcCodeFor("OTP_DEADLINE_EXCEEDED"), GrpcCode.DEADLINE_EXCEEDED);
    assert.equal(grpcCodeFor("OTP_INTERNAL"), GrpcCode.INTERNAL);
  });

  it("round-trips ErrorInfo, RetryInfo and BadRequest through the details trailer", () => {
    const err = new OtpError("OTP_RATE_LIMITED", "slow down", {
      retryAfterMs: 2250,
      violations: [{ field: "phone", description: "too many requests" }],
    });
    const status = statusFromError(err);
    const decoded = decodeStatusDetails(status);
    assert.deepEqual(decoded, {
      code: GrpcCode.RESOURCE_EXHAUSTED,
      message: "slow down",
      reason: "OTP_RATE_LIMITED",
      retryable: true,
      retryAfterMs: 2250,
      violations: [{ field: "phone", description: "too many requests" }],
    });
  });

  it("tells when to come back on a retryable UNAVAILABLE that named no delay, and only then", () => {
    const away = decodeStatusDetails(statusFromError(new OtpError("OTP_STATE_UNAVAILABLE", "store away")));
    assert.equal(away.code, GrpcCode.UNAVAILABLE);
    assert.equal(away.retryAfterMs, 1_000);
    const named = decodeStatusDetails(
      statusFromError(new OtpError("OTP_DEPENDENCY_UNAVAILABLE", "log away", { retryAfterMs: 300 })),
    );
    assert.equal(named.retryAfterMs, 300);
    const invalid = decodeStatusDetails(statusFromError(new OtpError("OTP_INVALID_ARGUMENT", "bad phone")));
    assert.equal(invalid.retryAfterMs, undefined);
  });

  it("hides the message of errors that map to INTERNAL", () => {
    const status = statusFromError(new OtpError("CONFIG_INVALID", "REDIS_URL=redis://:secret@host is bad"));
    assert.equal(status.code, GrpcCode.INTERNAL);
    assert.equal(status.details, "internal error");
    const trailer = status.metadata.get(STATUS_DETAILS_TRAILER)[0];
    assert.ok(Buffer.isBuffer(trailer));
    assert.ok(!trailer.toString("latin1").includes("secret"));
  });

  it("turns unknown errors into INTERNAL and logs the cause once", () => {
    const { logger, lines } = captureLogger();
    const status = toGrpcStatus(new TypeError("x is undefined in db.ts"), logger, { method: "/m" });
    assert.equal(status.code, GrpcCode.INTERNAL);
    assert.equal(status.details, "internal error");
    assert.equal(decodeStatusDetails(status).reason, "OTP_INTERNAL");
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.level, "error");
    assert.equal(lines[0]!.method, "/m");
    assert.match(JSON.stringify(lines[0]), /x is undefined in db\.ts/);
  });

  it("logs caller errors at info without a cause", () => {
    const { logger, lines } = captureLogger();
    toGrpcStatus(new OtpError("OTP_NOT_FOUND", "no such verification"), logger);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.level, "info");
    assert.equal(lines[0]!.reason, "OTP_NOT_FOUND");
    assert.equal(lines[0]!.grpcCode, "NOT_FOUND");
    assert.equal(lines[0]!.err, undefined);
  });

  it("reads a status without details, and survives a garbled trailer", () => {
    const plain = decodeStatusDetails({
      code: GrpcCode.UNAVAILABLE,
      details: "down",
      metadata: new Metadata(),
    });
    assert.deepEqual(plain, {
      code: GrpcCode.UNAVAILABLE,
      message: "down",
      reason: undefined,
      retryable: undefined,
      retryAfterMs: undefined,
      violations: [],
    });
    const metadata = new Metadata();
    metadata.set(STATUS_DETAILS_TRAILER, Buffer.from([0xff, 0xff, 0xff]));
    assert.equal(
      decodeStatusDetails({ code: GrpcCode.INTERNAL, details: "x", metadata }).code,
      GrpcCode.INTERNAL,
    );
  });
});
