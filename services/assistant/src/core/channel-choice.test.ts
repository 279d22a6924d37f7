import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { healthiestChannel } from "./channel-choice";
import type { DistrictStatus, VerificationSnapshot } from "./types";

const verification = (over: Partial<VerificationSnapshot> = {}): VerificationSnapshot => ({
  id: "ver_x",
  district: "ID-JK-JKS",
  locale: "id",
  channels: ["whatsapp", "sms", "voice"],
  attempts: [{ attempt: 1, channel: "whatsapp", status: "sent", requestedAt: 0 }],
  expiresAt: 300_000,
  sendsRemaining: 4,
  resendAvailableAt: 0,
  ...over,
});

const status = (over: Partial<DistrictStatus> = {}): DistrictStatus => ({
  channels: [],
  incidents: [],
  ...over,
});

describe("healthiest channel", () => {
  it("skips the channel that is failing the user", () => {
    assert.equal(healthiestChannel(verification(), status()), "sms");
  });

  it("prefers healthy over degraded over unknown, and never a down one while another is up", () => {
    const s = status({
      channels: [
        { channel: "sms", state: "down", deliveryRate: 0.2 },
        { channel: "voice", state: "healthy", deliveryRate: 0.97 },
      ],
    });
    assert.equal(healthiestChannel(verification(), s), "voice");
  });

  it("treats a channel under an incident in the district as down", () => {
    const s = status({
      channels: [{ channel: "sms", state: "healthy", deliveryRate: 0.99 }],
      incidents: [{ district: "ID-JK-JKS", channels: ["sms"], notices: {} }],
    });
    assert.equal(healthiestChannel(verification(), s), "voice");
  });

  it("offers the same channel again when the code did arrive there", () => {
    const v = verification({
      attempts: [{ attempt: 1, channel: "whatsapp", status: "delivered", requestedAt: 0 }],
    });
    assert.equal(healthiestChannel(v, status()), "whatsapp");
  });

  it("only picks channels of the verification's own workflow", () => {
    const v = verification({ channels: ["whatsapp", "sms"] });
    const s = status({ channels: [{ channel: "voice", state: "healthy", deliveryRate: 1 }] });
    assert.equal(healthiestChannel(v, s), "sms");
  });
});
