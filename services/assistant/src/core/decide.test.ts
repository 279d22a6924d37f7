/** One turn at a time, given / when / then on plain data. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HANDOFF_QUIET_MS, newConversation, OFFER_VALID_MS, type Conversation } from "./conversation";
import { contextNeeded, decideTurn, describeResend, type TurnInput } from "./decide";
import { PHRASES } from "./replies";
import type { DistrictStatus, Intent, Understanding, VerificationSnapshot } from "./types";

const NOW = 1_800_000_000_000;

const verification = (over: Partial<VerificationSnapshot> = {}): VerificationSnapshot => ({
  id: "ver_aaaaaaaaaaaaaaaaaaaaaa",
  district: "ID-JB-BDG",
  locale: "id",
  channels: ["whatsapp", "sms", "voice"],
  attempts: [{ attempt: 1, channel: "whatsapp", status: "sent", requestedAt: NOW - 40_000 }],
  expiresAt: NOW + 200_000,
  sendsRemaining: 4,
  resendAvailableAt: NOW - 1,
  ...over,
});

const whatsappDown: DistrictStatus = {
  channels: [
    { channel: "whatsapp", state: "down", deliveryRate: 0.1 },
    { channel: "sms", state: "degraded", deliveryRate: 0.8 },
    { channel: "voice", state: "healthy", deliveryRate: 0.97 },
  ],
  incidents: [],
};

function turn(intent: Intent, over: Partial<TurnInput> = {}, understanding: Partial<Understanding> = {}) {
  return decideTurn({
    now: NOW,
    language: "en",
    understanding: { language: "en", languageConfidence: 1, intent, ...understanding },
    signals: { codeLike: false, otherNumber: false },
    conversation: newConversation(),
    offersLeft: true,
    handoffId: "hof_new",
    ...over,
  });
}

const en = PHRASES.en;

describe("code not received", () => {
  it("with no live verification for the sender: says so, looks nothing else up, offers nothing", () => {
    const d = turn("not_received");
    assert.deepEqual(d.replies, [en.noActive]);
    assert.equal(d.resend, undefined);
    assert.equal(d.spendsOffer, false);
    assert.equal(d.conversation.offer, undefined);
  });

  it("explains the state and the district's health, and offers the healthiest other channel", () => {
    const d = turn("not_received", { verification: verification(), district: whatsappDown });
    assert.deepEqual(d.replies, [
      en.stateSent("WhatsApp", "40 s"),
      en.healthDown("WhatsApp"),
      en.offer("a voice call"),
    ]);
    assert.equal(d.spendsOffer, true);
    assert.deepEqual(d.conversation.offer, {
      verificationId: "ver_aaaaaaaaaaaaaaaaaaaaaa",
      channel: "voice",
      until: NOW + OFFER_VALID_MS,
    });
    assert.equal(d.resend, undefined);
  });

  it("says when a resend becomes possible during the cooldown", () => {
    const d = turn("not_received", { verification: verification({ resendAvailableAt: NOW + 25_000 }) });
    assert.equal(d.replies.at(-1), en.offerLater("SMS", "25 s"));
  });

  it("offers nothing once the sender's offers for the hour are used", () => {
    const d = turn("not_received", { verification: verification(), offersLeft: false });
    assert.equal(d.replies.at(-1), en.budgetExhausted);
    assert.equal(d.spendsOffer, false);
    assert.equal(d.conversation.offer, undefined);
  });

  it("asked to resend before routing planned anything, lets routing choose the channel", () => {
    const d = turn("resend", { verification: verification({ channels: [], attempts: [] }) });
    assert.deepEqual(d.resend, { verificationId: "ver_aaaaaaaaaaaaaaaaaaaaaa", channel: undefined });
    assert.deepEqual(d.replies, []);
  });

  it("tells the resend cap is reached instead of offering", () => {
    const d = turn("not_received", { verification: verification({ sendsRemaining: 0 }) });
    assert.equal(d.replies.at(-1), en.sendLimit);
  });
});

describe("yes to an offer", () => {
  const offered: Conversation = {
    turns: [],
    offer: { verificationId: "ver_aaaaaaaaaaaaaaaaaaaaaa", channel: "voice", until: NOW + 1000 },
  };

  it("resends on the offered channel", () => {
    const d = turn("confirm", { conversation: offered, verification: verification() });
    assert.deepEqual(d.resend, { verificationId: "ver_aaaaaaaaaaaaaaaaaaaaaa", channel: "voice" });
    assert.equal(d.conversation.offer, undefined);
  });

  it("is not an answer once the offer has lapsed", () => {
    const d = turn("confirm", { conversation: offered, verification: verification(), now: NOW + 2000 });
    assert.equal(d.resend, undefined);
    assert.deepEqual(d.replies, [en.help]);
  });

  it("does not resend a verification that is no longer the live one", () => {
    const d = turn("confirm", {
      conversation: offered,
      verification: verification({ id: "ver_bbbbbbbbbbbbbbbbbbbbbb" }),
    });
    assert.equal(d.resend, undefined);
    assert.deepEqual(d.replies, [en.closed]);
  });
});

describe("switch channel on request", () => {
  it("resends on the channel asked for", () => {
    const d = turn("switch_channel", { verification: verification() }, { channel: "sms" });
    assert.deepEqual(d.resend, { verificationId: "ver_aaaaaaaaaaaaaaaaaaaaaa", channel: "sms" });
    assert.equal(d.spendsOffer, true);
  });

  it("refuses a channel outside the verification's workflow and offers one of its own", () => {
    const d = turn(
      "switch_channel",
      { verification: verification({ channels: ["whatsapp", "sms"] }) },
      { channel: "voice" },
    );
    assert.equal(d.resend, undefined);
    assert.deepEqual(d.replies, [en.channelNotOffered("a voice call"), en.offer("SMS")]);
  });
});

describe("safety", () => {
  it("always says no to sharing a code", () => {
    assert.deepEqual(turn("safety").replies, [en.safety]);
  });

  it("warns about a code in the message and hands off, whatever the intent", () => {
    const d = turn("not_received", {
      signals: { codeLike: true, otherNumber: false },
      verification: verification(),
    });
    assert.deepEqual(d.replies, [en.codeWarning, en.handoff]);
    assert.equal(d.handoff, "possible_social_engineering");
    assert.equal(d.resend, undefined);
  });

  it("never looks up or answers about another number", () => {
    const signals = { codeLike: false, otherNumber: true };
    assert.deepEqual(contextNeeded("not_received", signals), { verification: false });
    assert.deepEqual(turn("not_received", { signals }).replies, [en.otherNumber]);
  });
});

describe("hand-off", () => {
  for (const [intent, reason] of [
    ["human", "requested"],
    ["frustrated", "frustrated"],
    ["other", "not_understood"],
  ] as const) {
    it(`${intent} → an agent (${reason})`, () => {
      const d = turn(intent);
      assert.equal(d.handoff, reason);
      assert.deepEqual(d.replies, [en.handoff]);
      assert.deepEqual(d.conversation.handoff, { id: "hof_new", at: NOW, told: false });
    });
  }

  describe("while the agent has the conversation", () => {
    const handedOff = (at: number, told = false): Conversation => ({
      turns: [],
      handoff: { id: "hof_first", at, told },
    });

    it("forwards what would have been handed off under the first id, and tells the user once", () => {
      const first = turn("human", { conversation: handedOff(NOW - HANDOFF_QUIET_MS + 1) });
      assert.equal(first.handoff, "follow_up");
      assert.deepEqual(first.replies, [en.handoffPending]);
      assert.deepEqual(first.conversation.handoff, {
        id: "hof_first",
        at: NOW - HANDOFF_QUIET_MS + 1,
        told: true,
      });
      const again = turn("frustrated", { conversation: first.conversation });
      assert.equal(again.handoff, "follow_up");
      assert.deepEqual(again.replies, []);
      assert.equal(again.conversation.handoff?.id, "hof_first");
    });

    it("still warns about a code, and forwards it (redacted by the caller) as a follow-up", () => {
      const signals = { codeLike: true, otherNumber: false };
      const d = turn("other", { signals, conversation: handedOff(NOW - 1_000, true) });
      assert.equal(d.handoff, "follow_up");
      assert.deepEqual(d.replies, [en.codeWarning]);
    });

    it("answers what it can itself and forwards that turn too", () => {
      const d = turn("safety", { conversation: handedOff(NOW - 1_000) });
      assert.deepEqual(d.replies, [en.safety]);
      assert.equal(d.handoff, "follow_up");
      assert.equal(d.conversation.handoff?.told, false);
    });

    it("opens a new hand-off once the quiet period is over", () => {
      const d = turn("human", { conversation: handedOff(NOW - HANDOFF_QUIET_MS, true) });
      assert.equal(d.handoff, "requested");
      assert.deepEqual(d.replies, [en.handoff]);
      assert.deepEqual(d.conversation.handoff, { id: "hof_new", at: NOW, told: false });
      assert.equal(turn("safety", { conversation: handedOff(NOW - HANDOFF_QUIET_MS) }).handoff, undefined);
    });
  });
});

describe("incidents", () => {
  it("gives the operator's notice in the sender's language, or a plain one", () => {
    const district: DistrictStatus = {
      channels: [],
      incidents: [
        {
          district: "ID-JB-BDG",
          channels: ["whatsapp"],
          notices: { "id-ID": "Gangguan WhatsApp di Bandung." },
        },
      ],
    };
    const id = turn("incident", { language: "id", verification: verification(), district });
    assert.deepEqual(id.replies, ["Gangguan WhatsApp di Bandung."]);
    const th = turn("incident", { language: "th", verification: verification(), district });
    assert.deepEqual(th.replies, [PHRASES.th.incident("ID-JB-BDG", "WhatsApp")]);
  });

  it("says when nothing is known", () => {
    assert.deepEqual(turn("incident", { incidents: [] }).replies, [en.noIncident]);
  });
});

describe("after a resend", () => {
  const attempted = { verificationId: "ver_aaaaaaaaaaaaaaaaaaaaaa", channel: "sms" as const };

  it("confirms the channel", () => {
    const told = describeResend("id", { kind: "sent", channel: "sms" }, attempted, newConversation(), NOW);
    assert.deepEqual(told.replies, [PHRASES.id.resendSent("SMS")]);
  });

  it("explains a cooldown with the wait, and keeps the offer for a later yes", () => {
    const told = describeResend(
      "en",
      { kind: "cooldown", retryAfterMs: 12_400 },
      attempted,
      newConversation(),
      NOW,
    );
    assert.deepEqual(told.replies, [en.cooldown("13 s")]);
    assert.deepEqual(told.conversation.offer, { ...attempted, until: NOW + OFFER_VALID_MS });
  });

  it("waits longer than two minutes are said in minutes", () => {
    assert.equal(en.duration(150_000), "3 min");
  });
});
