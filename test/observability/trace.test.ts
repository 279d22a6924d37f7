/**
 * One verification is one trace, across the services and the channels' asynchronous gaps:
 * StartVerification (gRPC) → VerificationStarted on Kafka → routing → DispatchRequested
 * (WhatsApp) → the WhatsApp connector → the Cloud API simulator's "failed" webhook →
 * DeliveryReported → routing falls back → DispatchRequested (SMS) → gateway-smpp → submit_sm to
 * the SMSC simulator → delivery receipt → DeliveryReported → CheckCode (gRPC) → CodeChecked,
 * over real gRPC, Kafka, Redis, HTTP and SMPP. Asserts the parent/child links between the
 * services' spans, not only that spans exist, and that no span carries the code or the number.
 */
import { finishedSpans, telemetry, type FinishedSpan } from "./tracing-setup";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { context, SpanKind, trace } from "@opentelemetry/api";
import { StartVerificationRequest } from "@proto/otp/v1/issuance";
import { CheckCodeRequest, CheckResult } from "@proto/otp/v1/verification";
import { callUnary } from "@platform/grpc/client";
import { randomPhone, startOtpStack, TOKENS, type OtpStack } from "./otp-stack";

let stack: OtpStack;
let phone: string;
let code: string;
let verificationId: string;
let traceId: string;

before(async () => {
  assert.ok(telemetry.enabled, "the test SDK must be running");
  // No number has WhatsApp: the first attempt fails at WhatsApp and routing falls back to SMS.
  stack = await startOtpStack("trace", { whatsapp: { notOnWhatsApp: ["62"] } });
  phone = randomPhone();
  const root = trace.getTracer("test").startSpan("bank login");
  traceId = root.spanContext().traceId;
  // The bank's backend calls both RPCs inside its own trace, as an instrumented client does.
  await context.with(trace.setSpan(context.active(), root), async () => {
    const started = await callUnary(
      stack.issuance(TOKENS.acme),
      "startVerification",
      StartVerificationRequest.fromPartial({
        phone,
        purpose: "login",
        locale: "id",
        districtHint: "ID-JK-JKS",
      }),
    );
    verificationId = started.verification!.verificationId;
    code = await stack.codeFromSms(phone, 30_000);
    await waitForSpan("the SMS delivered report", (s) => report(s, "sms", "delivered"));
    const checked = await callUnary(
      stack.verification(TOKENS.acme),
      "checkCode",
      CheckCodeRequest.fromPartial({ target: { $case: "verificationId", value: verificationId }, code }),
    );
    assert.equal(checked.result, CheckResult.CHECK_RESULT_VERIFIED);
  });
  root.end();
  await waitForSpan("the projector's CodeChecked", (s) => consumes(s, "codeChecked", stack.groups.projector));
  await waitForSpan("routing's CodeChecked", (s) => consumes(s, "codeChecked", stack.groups.routing));
});

after(async () => {
  await stack?.close();
  await telemetry.shutdown();
});

describe("one verification is one trace", () => {
  it("links StartVerification → routing → WhatsApp → fallback → gateway → SMSC receipt → CheckCode", () => {
    const spans = finishedSpans.filter((s) => s.spanContext().traceId === traceId);
    const parentOf = (span: FinishedSpan): FinishedSpan => {
      const parent = spans.find((s) => s.spanContext().spanId === span.parentSpanContext?.spanId);
      assert.ok(parent, `${span.name} has no parent in the trace`);
      return parent;
    };
    const one = (what: string, match: (s: FinishedSpan) => boolean, parent?: FinishedSpan) => {
      const found = spans.filter((s) => match(s) && (parent === undefined || parentOf(s) === parent));
      assert.equal(
        found.length,
        1,
        `${what}: expected one span${parent ? ` under ${parent.name}` : ""}, got ${found.length}`,
      );
      return found[0]!;
    };
    /** The consumer span of a message `publisher` published, in `group`. */
    const consumedFrom = (what: string, publisher: FinishedSpan, eventType: string, group: string) =>
      one(what, (s) => consumes(s, eventType, group) && parentOf(parentOf(s)) === publisher);
    const assertPublished = (consumer: FinishedSpan, publisher: FinishedSpan, what: string) => {
      const producer = parentOf(consumer);
      assert.equal(producer.kind, SpanKind.PRODUCER, `${what}: consumed from a producer span`);
      assert.equal(parentOf(producer), publisher, `${what}: published by ${publisher.name}`);
    };
    const { projector, routing, gateway, whatsapp } = stack.groups;

    const root = one("the bank's span", (s) => s.name === "bank login");
    const startClient = one(
      "StartVerification client",
      (s) => rpc(s, "StartVerification", SpanKind.CLIENT),
      root,
    );
    const startServer = one(
      "StartVerification server",
      (s) => rpc(s, "StartVerification", SpanKind.SERVER),
      startClient,
    );
    const planned = consumedFrom(
      "routing takes VerificationStarted",
      startServer,
      "verificationStarted",
      routing,
    );

    // Attempt 1: WhatsApp, which fails in a webhook that arrives in a trace of its own.
    const waSend = one("WhatsApp send", (s) => s.name === "whatsapp send" && attr(s, "otp.attempt") === 1);
    const waTakes = parentOf(waSend);
    assert.ok(
      consumes(waTakes, "dispatchRequested", whatsapp),
      "the send runs in the connector's consumer span",
    );
    assertPublished(waTakes, planned, "the WhatsApp dispatch");
    const waFailed = one("WhatsApp failure report", (s) => report(s, "whatsapp", "failed"), waSend);
    assert.equal(waFailed.attributes["error.type"], "WHATSAPP_131026");
    const webhook = waFailed.links[0]?.context;
    assert.ok(webhook && webhook.traceId !== traceId, "the report links the webhook's own trace");
    assert.ok(
      finishedSpans.some((s) => s.spanContext().spanId === webhook.spanId && s.kind === SpanKind.SERVER),
      "the linked span is the webhook's HTTP server span",
    );

    // Routing falls back at once; attempt 2: SMS.
    const fellBack = consumedFrom("routing takes the failure", waFailed, "deliveryReported", routing);
    consumedFrom("the projector sees the fallback", fellBack, "fallbackTriggered", projector);
    const submit = one("SMPP submit", (s) => s.name === "smpp submit_sm" && attr(s, "otp.attempt") === 2);
    assert.equal(submit.kind, SpanKind.CLIENT);
    const gatewayTakes = parentOf(submit);
    assert.ok(
      consumes(gatewayTakes, "dispatchRequested", gateway),
      "submit runs in the gateway's consumer span",
    );
    assertPublished(gatewayTakes, fellBack, "the SMS dispatch");
    one("SMS ACCEPTED report", (s) => report(s, "sms", "accepted"), gatewayTakes);
    const receipt = one(
      "delivery receipt",
      (s) => s.name === "smpp receipt" && attr(s, "smpp.receipt.stat") === "DELIVRD",
      submit,
    );
    const delivered = one("SMS DELIVERED report", (s) => report(s, "sms", "delivered"), receipt);
    consumedFrom("routing takes the receipt", delivered, "deliveryReported", routing);
    consumedFrom("the projector takes the receipt", delivered, "deliveryReported", projector);

    // The check, in the caller's trace.
    const checkClient = one("CheckCode client", (s) => rpc(s, "CheckCode", SpanKind.CLIENT), root);
    const checkServer = one("CheckCode server", (s) => rpc(s, "CheckCode", SpanKind.SERVER), checkClient);
    consumedFrom("the projector takes CodeChecked", checkServer, "codeChecked", projector);
    consumedFrom("routing takes CodeChecked", checkServer, "codeChecked", routing);

    assert.equal(attr(submit, "otp.verification.id"), verificationId);
    assert.equal(attr(receipt, "otp.district"), "ID-JK-JKS");
    const redis = spans.filter(
      (s) => s.attributes["db.system"] === "redis" || s.attributes["db.system.name"] === "redis",
    );
    assert.ok(redis.length > 0, "Redis commands are traced inside the verification's trace");
  });

  it("puts neither the code nor the phone number in any span", () => {
    const digits = phone.replace(/^\+/, "");
    const national = digits.slice(2);
    for (const span of finishedSpans) {
      const texts = [
        span.name,
        ...Object.values(span.attributes).map(String),
        ...span.events.flatMap((e) => [e.name, ...Object.values(e.attributes ?? {}).map(String)]),
      ];
      for (const text of texts) {
        assert.ok(!text.includes(code), `span ${span.name} carries the code`);
        assert.ok(!text.includes(national), `span ${span.name} carries the phone number`);
      }
    }
    // Redis spans name the command only: script arguments are keyed hashes and sealed values.
    const redis = finishedSpans.filter((s) => s.attributes["db.system.name"] === "redis");
    assert.ok(redis.length > 0);
    for (const span of redis) {
      for (const key of ["db.query.text", "db.statement"]) {
        const text = span.attributes[key];
        if (text !== undefined) assert.match(JSON.stringify(text), /^"[a-z]+"$/i, `${span.name}: ${key}`);
      }
    }
  });
});

function attr(span: FinishedSpan, name: string): unknown {
  return span.attributes[name];
}

function rpc(span: FinishedSpan, method: string, kind: SpanKind): boolean {
  return span.kind === kind && span.attributes["rpc.method"] === method;
}

function consumes(span: FinishedSpan, eventType: string, group: string): boolean {
  return (
    span.kind === SpanKind.CONSUMER &&
    span.attributes["otp.event.type"] === eventType &&
    span.attributes["messaging.consumer.group.name"] === group
  );
}

function report(span: FinishedSpan, channel: string, status: string): boolean {
  return span.name === `${channel} report` && span.attributes["otp.delivery.status"] === status;
}

async function waitForSpan(
  what: string,
  match: (s: FinishedSpan) => boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!finishedSpans.some((s) => s.spanContext().traceId === traceId && match(s))) {
    if (Date.now() > deadline) throw new Error(`no span for ${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
