import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OtpError } from "@domain/errors";
import { createLogger } from "./log";
import { describeContent, maskPhone } from "@domain/privacy";

function capture(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: "debug", write: (l) => lines.push(l) }) };
}

describe("maskPhone", () => {
  it("keeps country + prefix and the last four digits", () => {
    assert.equal(maskPhone("+6281234565678"), "+62812****5678");
    assert.equal(maskPhone("+6591234567"), "+65****4567");
    assert.equal(maskPhone("123"), "+***");
  });
});

describe("logger", () => {
  it("writes one JSON object per line with level, message and fields", () => {
    const { lines, logger } = capture();
    logger.child({ service: "issuance" }).info("started", { port: 50051 });
    const rec = JSON.parse(lines[0]!);
    assert.equal(rec.level, "info");
    assert.equal(rec.msg, "started");
    assert.equal(rec.service, "issuance");
    assert.equal(rec.port, 50051);
  });

  it("redacts secret fields and masks phone numbers wherever they appear", () => {
    const { lines, logger } = capture();
    logger.warn("send to +6281234565678 failed", {
      code: "482913",
      otp: "482913",
      phone: "+6281234565678",
      text: "Your code is 482913",
      nested: { token: "abc", note: "retry 6281234565678" },
      errorCode: "SMPP_THROTTLED",
    });
    const line = lines[0]!;
    assert.ok(!line.includes("482913"), line);
    assert.ok(!line.includes("6281234565678"), line);
    assert.ok(!line.includes('abc"'), line);
    const rec = JSON.parse(line);
    assert.equal(rec.phone, "+62812****5678");
    assert.equal(rec.errorCode, "SMPP_THROTTLED");
  });

  it("masks phone numbers written with spaces or dashes, not dates or short numbers", () => {
    const { lines, logger } = capture();
    logger.info("callers wrote +62 812-3456-7890 and 0812 3456 7890 and 62-812-3456-7890", {
      note: "on 2024-01-31, order 12-34",
    });
    const line = lines[0]!;
    for (const leak of ["3456-7890", "3456 7890", "812-3456"]) assert.ok(!line.includes(leak), line);
    assert.ok(line.includes("2024-01-31") && line.includes("order 12-34"), line);
  });

  it("keeps stable error codes but not codes, and serialises errors with their cause", () => {
    const { lines, logger } = capture();
    const err = new OtpError("OTP_RATE_LIMITED", "too many sends", { cause: new Error("to +6281234565678") });
    logger.error("rejected", { code: "OTP_RATE_LIMITED", err });
    const rec = JSON.parse(lines[0]!);
    assert.equal(rec.code, "OTP_RATE_LIMITED");
    assert.equal(rec.err.code, "OTP_RATE_LIMITED");
    assert.match(rec.err.cause.message, /\+62812\*+5678/);
  });

  it("drops records below its level", () => {
    const lines: string[] = [];
    createLogger({ level: "warn", write: (l) => lines.push(l) }).info("quiet");
    assert.equal(lines.length, 0);
  });

  it("describes content without showing it", () => {
    assert.equal(describeContent("Kode OTP Anda 482913"), "** 20 byte content **");
  });
});
