import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Channel, RiskTier } from "@proto/otp/v1/common";
import { DEFAULT_WORKFLOWS } from "./defaults";
import { channelFromProto, channelToProto, plannedSteps, riskTierToProto } from "./proto";
import { CHANNELS } from "./types";

describe("policy ↔ otp.v1", () => {
  it("maps risk tiers and channels both ways", () => {
    assert.equal(riskTierToProto("high"), RiskTier.RISK_TIER_HIGH);
    assert.equal(riskTierToProto("low"), RiskTier.RISK_TIER_LOW);
    for (const channel of CHANNELS) assert.equal(channelFromProto(channelToProto(channel)), channel);
    assert.equal(channelFromProto(Channel.CHANNEL_UNSPECIFIED), undefined);
  });

  it("turns a workflow into planned steps", () => {
    assert.deepEqual(plannedSteps(DEFAULT_WORKFLOWS.default!), [
      { channel: Channel.CHANNEL_WHATSAPP, route: "", timeoutSeconds: 20 },
      { channel: Channel.CHANNEL_SMS, route: "", timeoutSeconds: 30 },
      { channel: Channel.CHANNEL_VOICE, route: "", timeoutSeconds: 60 },
    ]);
  });
});
