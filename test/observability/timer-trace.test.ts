/**
 * A fallback that a timer decides (WhatsApp accepted the message but never delivered it) stays
 * in the verification's trace: the timer fires in no trace of its own, and routing continues the
 * one it remembered when the verification started.
 */
import { finishedSpans, telemetry } from "./tracing-setup";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { context, trace } from "@opentelemetry/api";
import { StartVerificationRequest } from "@proto/otp/v1/issuance";
import { callUnary } from "@platform/grpc/client";
import { randomPhone, startOtpStack, TOKENS, type OtpStack } from "./otp-stack";

let stack: OtpStack;
let traceId: string;

before(async () => {
  assert.ok(telemetry.enabled, "the test SDK must be running");
  stack = await startOtpStack("timer-trace", {
    whatsapp: { outages: [{ prefix: "62", effect: "no-delivery" }] },
  });
  const phone = randomPhone();
  const root = trace.getTracer("test").startSpan("bank login");
  traceId = root.spanContext().traceId;
  await context.with(trace.setSpan(context.active(), root), async () => {
    await callUnary(
      stack.issuance(TOKENS.acme),
      "startVerification",
      StartVerificationRequest.fromPartial({
        phone,
        purpose: "quick_login",
        locale: "id",
        districtHint: "ID-JK-JKS",
      }),
    );
  });
  root.end();
  // WhatsApp never delivers; after its 5 s step the timer moves the code to SMS.
  await stack.codeFromSms(phone, 30_000);
  // The simulator shows the SMS on receiving submit_sm; the gateway's span ends on its response.
  for (let i = 0; i < 100 && !finishedSpans.some((s) => s.name === "smpp submit_sm"); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(async () => {
  await stack?.close();
  await telemetry.shutdown();
});

describe("a timer-driven fallback", () => {
  it("continues the verification's trace down to the SMS submit", () => {
    const timer = finishedSpans.find((s) => s.name === "routing fallback timer");
    assert.ok(timer, "no span for the fired timer");
    assert.equal(timer.spanContext().traceId, traceId, "the timer's span is in the verification's trace");
    const submit = finishedSpans.find((s) => s.name === "smpp submit_sm");
    assert.ok(submit, "no SMPP submit span");
    assert.equal(submit.spanContext().traceId, traceId, "the SMS sent after the timer is in the same trace");
  });
});
