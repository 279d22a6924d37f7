/**
 * District hints are bounded where they enter: a hint outside the platform's districts
 * (OTP_DISTRICTS) is recorded as `other`, so the events, metric labels and health keys built from
 * it after issuance never see a caller's free string.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { EventEnvelope } from "@proto/otp/events/v1/events";
import { StartVerificationRequest } from "@proto/otp/v1/issuance";
import { EVENT_ROLES } from "@domain/events/ownership";
import { createVerificationProjection } from "@verification-state/projection";
import { platformFromEnv, type Platform } from "@platform/runtime/platform";
import type { Issuance } from "./issuance";
import { issuanceOn } from "../test/platform-fixtures";

describe("district hints", () => {
  let platform: Platform;
  let issuance: Issuance;
  const published: EventEnvelope[] = [];

  before(async () => {
    platform = await platformFromEnv({
      events: EVENT_ROLES["all-in-one"],
      service: "districts-test",
      env: { OTP_DISTRICTS: "ID-JK-JKS, ID-XX-TEST" },
      logWrite: () => undefined,
    });
    const bus = {
      ...platform.bus,
      publish: async (...args: Parameters<Platform["bus"]["publish"]>) => {
        await platform.bus.publish(...args);
        published.push(args[1]);
      },
    };
    issuance = issuanceOn(platform, {
      bus,
      projection: createVerificationProjection({
        store: platform.store,
        secrets: platform.secrets,
        retentionMs: 60_000,
      }),
    });
  });
  after(() => platform.close());

  const startedDistrict = async (phone: string, districtHint: string): Promise<string> => {
    const { state } = await issuance.start(
      "demo-bank",
      StartVerificationRequest.fromPartial({ phone, purpose: "login", locale: "en", districtHint }),
    );
    const event = published.find((e) => e.verificationId === state.id)?.event;
    assert.equal(event?.$case, "verificationStarted");
    assert.equal(event.$case === "verificationStarted" && event.value.district, state.district);
    return state.district;
  };

  it("keeps a configured district and records any other hint as other", async () => {
    assert.equal(await startedDistrict("+6281234560001", "ID-JK-JKS"), "ID-JK-JKS");
    assert.equal(await startedDistrict("+6281234560002", "ID-XX-TEST"), "ID-XX-TEST");
    assert.equal(await startedDistrict("+6281234560003", "made-up-district-1"), "other");
    assert.equal(
      await startedDistrict("+6281234560004", "ID-JB-BDG"),
      "other",
      "not in this platform's list",
    );
    assert.equal(await startedDistrict("+6281234560005", ""), "unknown");
  });

  it("refuses a malformed or oversized district list at start, naming the variable", async () => {
    await assert.rejects(
      platformFromEnv({
        events: EVENT_ROLES["all-in-one"],
        service: "districts-test",
        env: { OTP_DISTRICTS: "ID-JK-JKS,a b" },
        logWrite: () => undefined,
      }),
      /OTP_DISTRICTS=.*"a b" not district names/,
    );
    await assert.rejects(
      platformFromEnv({
        events: EVENT_ROLES["all-in-one"],
        service: "districts-test",
        env: { OTP_DISTRICTS: Array.from({ length: 1001 }, (_, i) => `d${i}`).join(",") },
        logWrite: () => undefined,
      }),
      /OTP_DISTRICTS=.*at most 1000/,
    );
  });
});
