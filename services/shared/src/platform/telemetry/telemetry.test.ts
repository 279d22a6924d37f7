import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { lagOf } from "./consumer-lag";
import { formatTraceparent, parseTraceparent } from "./dispatch-traces";
import { metricsListenFromEnv } from "./metrics-server";
import { serviceNameOfEntry, tracingRequested } from "./sdk";

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
});
