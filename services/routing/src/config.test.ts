import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_ROUTING_SETTINGS } from "./core/types";
import { routingConfigFromEnv } from "./config";

describe("routing settings from the environment", () => {
  it("defaults to the core's first reaction: WhatsApp waits 8 s once the evidence leans 32 % to a collapse", () => {
    const { routing } = routingConfigFromEnv({}).settings;
    assert.equal(routing?.hastenAtLean, DEFAULT_ROUTING_SETTINGS.hastenAtLean);
    assert.deepEqual(routing?.hastenedWaitSeconds, DEFAULT_ROUTING_SETTINGS.hastenedWaitSeconds);
  });

  it("takes another wait and lean, and 0 s turns the first reaction off", () => {
    const tuned = routingConfigFromEnv({
      ROUTING_WHATSAPP_HASTENED_WAIT_SECONDS: "5",
      ROUTING_HASTEN_AT_LEAN_PERCENT: "50",
    }).settings.routing;
    assert.deepEqual(tuned?.hastenedWaitSeconds, { whatsapp: 5 });
    assert.equal(tuned?.hastenAtLean, 0.5);
    const off = routingConfigFromEnv({ ROUTING_WHATSAPP_HASTENED_WAIT_SECONDS: "0" }).settings.routing;
    assert.deepEqual(off?.hastenedWaitSeconds, {});
  });

  it("names a bad value", () => {
    assert.throws(
      () => routingConfigFromEnv({ ROUTING_HASTEN_AT_LEAN_PERCENT: "0" }),
      /ROUTING_HASTEN_AT_LEAN_PERCENT="0"/,
    );
  });
});
