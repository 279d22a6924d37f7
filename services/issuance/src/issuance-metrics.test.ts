import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OtpError } from "@domain/errors";
import { createMetrics } from "@platform/telemetry/metrics";
import { guardBlockOf, issuanceMetrics, meterGuardBlocks } from "./issuance-metrics";

describe("issuance metrics", () => {
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
      metrics.declare(issuanceMetrics),
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
});
