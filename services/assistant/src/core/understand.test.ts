import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { detectLanguage } from "./language";
import { foldText } from "./text";
import { understandOffline } from "./understand";
import type { Language } from "./types";

const language = (text: string, previous?: Language) =>
  detectLanguage(text, foldText(text), previous).language;

describe("language detection", () => {
  it("decides Thai and Vietnamese by their letters", () => {
    assert.equal(language("ยังไม่ได้รับรหัส"), "th");
    assert.equal(language("tôi chưa nhận được mã"), "vi");
  });

  it("tells the languages written in plain Latin letters apart by their words", () => {
    assert.equal(language("kode nya gak masuk2 kak"), "id");
    assert.equal(language("kod tak sampai lagi, nak hantar semula"), "ms");
    assert.equal(language("hindi ko pa natanggap yung code"), "fil");
    assert.equal(language("chua nhan duoc ma"), "vi");
    assert.equal(language("I still haven't got the code"), "en");
  });

  it("keeps the conversation's language for replies too short to tell", () => {
    assert.equal(language("ok", "th"), "th");
    assert.equal(language("ok"), "en");
  });
});

describe("offline classifier", () => {
  const cases: Array<[string, string, string?]> = [
    ["belum terima kode", "not_received"],
    ["blm trima kde otp min", "not_received"],
    ["still havent recieved my code", "not_received"],
    ["kirim lewat SMS", "switch_channel", "sms"],
    ["WA saya mati, kirim lewat SMS aja", "switch_channel", "sms"],
    ["call me instead of sms", "switch_channel", "voice"],
    ["text me the code instead of whatsapp", "switch_channel", "sms"],
    ["gọi cho tôi đi", "switch_channel", "voice"],
    ["tolong kirim ulang kodenya", "resend"],
    ["is it safe to share my OTP with your agent?", "safety"],
    ["มีคนโทรมาอ้างว่าเป็นธนาคารขอรหัส", "safety"],
    ["mati lampu di daerah saya", "incident"],
    ["let me talk to a real person", "human"],
    ["bwisit walang kwenta tong app", "frustrated"],
    ["iya boleh kak", "confirm"],
    ["sige po", "confirm"],
    ["gak usah", "decline"],
    ["tak payah", "decline"],
    ["hello", "greeting"],
    ["how do i change my password", "other"],
  ];
  for (const [text, intent, channel] of cases) {
    it(`"${text}" → ${intent}${channel ? ` (${channel})` : ""}`, () => {
      const got = understandOffline(text);
      assert.equal(got.intent, intent);
      if (channel) assert.equal(got.channel, channel);
    });
  }

  it("answers a yes or a no in the conversation's language", () => {
    assert.equal(understandOffline("iya boleh", "id").language, "id");
    assert.equal(understandOffline("ok", "th").language, "th");
  });

  it("reads a channel request without a channel as a plain resend", () => {
    assert.equal(understandOffline("send it again please").intent, "resend");
  });

  it("hears shouting as frustration only with strong words or many !!!", () => {
    assert.equal(understandOffline("this is USELESS, fix it now").intent, "frustrated");
    assert.equal(understandOffline("OTP not received").intent, "not_received");
  });
});
