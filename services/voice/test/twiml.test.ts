import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CALLER_ID, eventually, startVoiceStack, voiceDispatch, type VoiceStack } from "./harness";

const fast = { ringDelayMs: 5, answerDelayMs: 5, talkMs: 5 };

describe("what the callee hears", () => {
  let stack: VoiceStack;
  before(async () => {
    stack = await startVoiceStack({ scenario: { default: fast } });
  });
  after(() => stack.close());

  const hear = async (locale: string, code = "482913") => {
    const d = voiceDispatch("62812", { locale, code });
    await stack.connector.dispatch(d);
    await eventually("call answered and heard", () => stack.simulator.inbox.calls(d.phone).length === 1);
    const call = stack.simulator.inbox.calls(d.phone)[0];
    assert.ok(call);
    return call;
  };

  it("reads the code digit by digit, three times, with pauses, in Indonesian", async () => {
    const call = await hear("id-ID");
    assert.equal(
      call.heard,
      "Kode verifikasi Anda adalah 4, 8, 2, 9, 1, 3. " +
        "Sekali lagi, kode Anda adalah 4, 8, 2, 9, 1, 3. " +
        "Sekali lagi, kode Anda adalah 4, 8, 2, 9, 1, 3. " +
        "Jangan bagikan kode ini kepada siapa pun. Terima kasih.",
    );
    assert.equal(call.pauses, 4);
    assert.equal(call.from, CALLER_ID);
    for (const u of call.utterances) {
      assert.equal(u.language, "id-ID");
      assert.equal(u.voice, "Google.id-ID-Standard-A");
    }
  });

  const intros: Array<[string, string]> = [
    ["en-US", "Your verification code is 4, 8, 2, 9, 1, 3."],
    ["ms-MY", "Kod pengesahan anda ialah 4, 8, 2, 9, 1, 3."],
    ["th-TH", "รหัสยืนยันของคุณคือ 4, 8, 2, 9, 1, 3."],
    ["vi-VN", "Mã xác minh của bạn là 4, 8, 2, 9, 1, 3."],
    ["fil-PH", "Ang iyong verification code ay 4, 8, 2, 9, 1, 3."],
  ];
  for (const [locale, intro] of intros) {
    it(`speaks ${locale} with a ${locale} voice`, async () => {
      const call = await hear(locale);
      assert.equal(call.utterances[0]?.text, intro);
      assert.equal(call.utterances[0]?.language, locale);
      assert.equal(call.utterances.filter((u) => u.text.endsWith("4, 8, 2, 9, 1, 3.")).length, 3);
    });
  }

  it("falls back to the language, then to English, for other locales", async () => {
    assert.equal((await hear("id")).utterances[0]?.language, "id-ID");
    assert.equal((await hear("de-DE")).utterances[0]?.language, "en-US");
  });
});

describe("press 1 to hear your code", () => {
  it("a person presses 1 and hears the code; voicemail hears only the prompt", async () => {
    const stack = await startVoiceStack({
      keyPress: true,
      scenario: { default: fast, routes: [{ prefix: "62899", answeredBy: "voicemail" }] },
    });
    try {
      const person = voiceDispatch("62812", { locale: "en-US", code: "705132" });
      const voicemail = voiceDispatch("62899", { locale: "en-US", code: "705132" });
      await stack.connector.dispatch(person);
      await stack.connector.dispatch(voicemail);
      await eventually("both calls heard", () =>
        [person, voicemail].every((d) => stack.simulator.inbox.calls(d.phone)[0]?.status === "completed"),
      );
      const [heardByPerson] = stack.simulator.inbox.calls(person.phone);
      assert.equal(heardByPerson?.pressed, "1");
      assert.match(heardByPerson?.heard ?? "", /^You have a verification code\. Press 1 to hear it\./);
      assert.match(heardByPerson?.heard ?? "", /Your verification code is 7, 0, 5, 1, 3, 2\./);

      const [heardByMachine] = stack.simulator.inbox.calls(voicemail.phone);
      assert.equal(heardByMachine?.pressed, undefined);
      assert.ok(!(heardByMachine?.heard ?? "").includes("7, 0, 5"), "voicemail must not capture the code");
      assert.match(heardByMachine?.heard ?? "", /We did not receive a key press/);
    } finally {
      await stack.close();
    }
  });
});
