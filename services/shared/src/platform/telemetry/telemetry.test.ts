import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Channel, DeliveryStatus, FailureClass } from "@proto/otp/v1/common";
import { initialState, type AttemptState } from "@domain/verification";
import { OtpError } from "@domain/errors";
import { lagOf } from "./consumer-lag";
import { formatTraceparent, parseTraceparent } from "./dispatch-traces";
import { attributedAttempt } from "@services/verification/src/lifecycle-metrics";
import { createMetrics } from "./metrics";
import { metricsListenFromEnv } from "./metrics-server";
import { guardBlockOf, meterGuardBlocks } from "./request-metrics";
import { serviceNameOfEntry, tracingRequested } from "./sdk";
import { commandStatusLabel } from "@gateway-smpp/src/metrics/smpp-metrics";

const attempt = (n: number, over: Partial<AttemptState> = {}): AttemptState => ({
  attempt: n,
  channel: Channel.CHANNEL_SMS,
  route: "sms-id",
  status: DeliveryStatus.DELIVERY_STATUS_ACCEPTED,
  failureClass: FailureClass.FAILURE_CLASS_UNSPECIFIED,
  reason: "",
  operator: "id-telkomsel",
  requestedAt: 1_000,
  ...over,
});

describe("telemetry", () => {
  it("starts tracing only when the OTEL_* variables ask for it", () => {
    assert.equal(tracingRequested({}), false);
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://jaeger:4318" }), true);
    assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: "console" }), true);
    assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: "otlp", OTEL_SDK_DISABLED: "true" }), false);
  });

  it("names the service after its entry point, in sources and in dist/", () => {
    assert.equal(serviceNameOfEntry("/app/services/issuance/src/main.ts"), "issuance");
    assert.equal(serviceNameOfEntry("/app/dist/services/routing/src/main.js"), "routing");
    assert.equal(serviceNameOfEntry("/app/dist/gateway-smpp/src/main.js"), "gateway-smpp");
    assert.equal(serviceNameOfEntry("gateway-smpp/src/simulator/main.ts"), "gateway-smpp-simulator");
    assert.equal(serviceNameOfEntry("services/whatsapp/src/simulator/main.ts"), "whatsapp-simulator");
    assert.equal(serviceNameOfEntry(undefined), "otp-router");
  });

  it("listens for /metrics on 9464 + the service's offset unless told otherwise", () => {
    assert.deepEqual(metricsListenFromEnv({}, "issuance"), { host: "127.0.0.1", port: 9464 });
    assert.deepEqual(metricsListenFromEnv({}, "voice"), { host: "127.0.0.1", port: 9469 });
    assert.deepEqual(metricsListenFromEnv({ METRICS_LISTEN: "0.0.0.0:9464" }, "voice"), {
      host: "0.0.0.0",
      port: 9464,
    });
    assert.equal(metricsListenFromEnv({ METRICS_LISTEN: "off" }, "voice"), undefined);
    assert.throws(() => metricsListenFromEnv({ METRICS_LISTEN: "9464" }, "voice"), /METRICS_LISTEN/);
  });

  it("measures lag from the committed offset, or from the oldest retained message", () => {
    assert.equal(lagOf({ high: "120", low: "0" }, 100), 20);
    assert.equal(lagOf({ high: "120", low: "40" }, -1), 80);
    assert.equal(lagOf({ high: "120", low: "0" }, 130), 0);
  });

  it("keeps a W3C traceparent round trip", () => {
    const span = { traceId: "a".repeat(32), spanId: "b".repeat(16), traceFlags: 1 };
    assert.equal(formatTraceparent(span), `00-${"a".repeat(32)}-${"b".repeat(16)}-01`);
    assert.deepEqual(parseTraceparent(formatTraceparent(span)), { ...span, isRemote: true });
    assert.equal(parseTraceparent("garbage"), undefined);
  });

  it("credits a verified code to the attempt that delivered it", () => {
    const state = {
      ...initialState("ver_x", "acme"),
      attempts: [
        attempt(1, { channel: Channel.CHANNEL_WHATSAPP, status: DeliveryStatus.DELIVERY_STATUS_FAILED }),
        attempt(2, { deliveredAt: 5_000, status: DeliveryStatus.DELIVERY_STATUS_DELIVERED }),
      ],
    };
    // One code for every attempt: matched "attempt 1" is the code's origin, not where it was read.
    assert.equal(attributedAttempt(state, 1)?.attempt, 2);
    // A code per attempt: the attempt whose code matched.
    assert.equal(attributedAttempt({ ...state, codePerAttempt: true }, 1)?.attempt, 1);
    assert.equal(attributedAttempt({ ...state, attempts: [] }, 1), undefined);
  });

  it("names guard refusals by guard and bounded reason", () => {
    assert.deepEqual(
      guardBlockOf(new OtpError("OTP_RATE_LIMITED", "rate limit exceeded: sends per phone per hour")),
      { guard: "rate_limit", reason: "sends_per_phone_per_hour" },
    );
    assert.deepEqual(
      guardBlockOf(new OtpError("OTP_FRAUD_BLOCKED", "destination prefix +62812 is temporarily blocked")),
      { guard: "pumping_guard", reason: "low_conversion_prefix" },
    );
    assert.deepEqual(
      guardBlockOf(
        new OtpError("OTP_DESTINATION_BLOCKED", "numbers of type premium_rate cannot receive codes"),
      ),
      { guard: "destination", reason: "number_type_premium_rate" },
    );
    assert.deepEqual(guardBlockOf(new OtpError("OTP_RATE_LIMITED", "resend cooldown")), {
      guard: "rate_limit",
      reason: "other",
    });
    assert.equal(guardBlockOf(new Error("boom")), undefined);
  });

  it("counts refusals of sync and async guard checks and passes results through", async () => {
    const metrics = createMetrics({ service: "test", processMetrics: false });
    const guards = meterGuardBlocks(
      {
        sync(): void {
          throw new OtpError(
            "OTP_DESTINATION_BLOCKED",
            "destination country XX is not enabled for this tenant",
          );
        },
        async limited(): Promise<void> {
          throw new OtpError("OTP_RATE_LIMITED", "rate limit exceeded: verifications per phone");
        },
        async fine(): Promise<number> {
          return 7;
        },
      },
      metrics,
    );
    assert.throws(() => guards.sync(), /country/);
    await assert.rejects(guards.limited(), /verifications per phone/);
    assert.equal(await guards.fine(), 7);
    const text = await metrics.registry.metrics();
    assert.match(
      text,
      /otp_guard_blocks_total\{guard="destination",reason="country_not_enabled",service="test"\} 1/,
    );
    assert.match(
      text,
      /otp_guard_blocks_total\{guard="rate_limit",reason="verifications_per_phone",service="test"\} 1/,
    );
  });

  it("labels command_status as gateway-smpp does", () => {
    assert.equal(commandStatusLabel(0x58), "0x00000058");
    assert.equal(commandStatusLabel(undefined), "timeout");
  });
});
