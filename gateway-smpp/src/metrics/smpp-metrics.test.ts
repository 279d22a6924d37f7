import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createMetrics } from "@platform/telemetry/metrics";
import type { SessionState } from "../smsc-session";
import { commandStatusLabel, smppMetrics } from "./smpp-metrics";

describe("SMPP metrics", () => {
  it("labels command_status as gateway-smpp does", () => {
    assert.equal(commandStatusLabel(0x58), "0x00000058");
    assert.equal(commandStatusLabel(undefined), "timeout");
  });

  it("reads SMPP bind gauges from the source at scrape time", async () => {
    const metrics = createMetrics({ service: "gateway-smpp", processMetrics: false });
    let state: SessionState = "bound";
    metrics.declare(smppMetrics).readBindsFrom(() => [
      {
        name: "sim-1",
        account: "sim",
        state,
        window: 10,
        windowInUse: 3,
        queued: 0,
        tps: 100,
        currentTps: 50,
        accountTps: 50,
      },
    ]);
    assert.match(
      await metrics.registry.metrics(),
      /otp_smpp_bind_up\{account="sim",bind="sim-1",service="gateway-smpp"\} 1/,
    );
    state = "reconnecting";
    const text = await metrics.registry.metrics();
    assert.match(text, /otp_smpp_bind_up\{account="sim",bind="sim-1",service="gateway-smpp"\} 0/);
    assert.match(text, /otp_smpp_tps_current\{account="sim",bind="sim-1",service="gateway-smpp"\} 50/);
  });
});
