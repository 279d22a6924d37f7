import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseTwiml, TwimlParseError } from "./simulator/twiml-listener";
import { codeTwiml, escapeXml, pressKeyTwiml } from "./twiml";
import { codeReading, spellDigits } from "./voice-script";

describe("voice script", () => {
  it("spells digits with commas", () => {
    assert.equal(spellDigits("482913"), "4, 8, 2, 9, 1, 3");
  });

  it("repeats the code with pauses between readings", () => {
    const script = codeReading("en-US", "1234", { repeats: 2, pauseSeconds: 2 });
    assert.deepEqual(script.steps, [
      { pauseSeconds: 2 },
      { say: "Your verification code is 1, 2, 3, 4." },
      { pauseSeconds: 2 },
      { say: "Again, your code is 1, 2, 3, 4." },
      { pauseSeconds: 2 },
      { say: "Do not share this code with anyone. Goodbye." },
    ]);
  });
});

describe("TwiML", () => {
  it("reads the code with Say and Pause verbs in the locale's language and voice, then hangs up", () => {
    const twiml = codeTwiml("vi-VN", "482913");
    const response = parseTwiml(twiml);
    assert.deepEqual(
      response.children.map((n) => n.name),
      ["Pause", "Say", "Pause", "Say", "Pause", "Say", "Pause", "Say", "Hangup"],
    );
    const says = response.children.filter((n) => n.name === "Say");
    assert.equal(says[0]?.attributes.language, "vi-VN");
    assert.equal(says[0]?.attributes.voice, "Google.vi-VN-Standard-A");
    assert.equal(says[1]?.text, "Xin nhắc lại, mã của bạn là 4, 8, 2, 9, 1, 3.");
  });

  it("escapes XML in attributes and text", () => {
    assert.equal(escapeXml(`a&b<c>"d'`), "a&amp;b&lt;c&gt;&quot;d&apos;");
    const twiml = pressKeyTwiml("en-US", { actionUrl: "https://x.test/key?a=1&b=2" });
    const gather = parseTwiml(twiml).children[0];
    assert.equal(gather?.name, "Gather");
    assert.equal(gather?.attributes.action, "https://x.test/key?a=1&b=2");
    assert.equal(gather?.attributes.numDigits, "1");
    assert.ok(!twiml.includes("verification code is"), "the prompt carries no code");
  });

  it("the simulator's reader refuses broken documents", () => {
    assert.throws(() => parseTwiml("<Response><Say>hi</Response>"), TwimlParseError);
    assert.throws(() => parseTwiml("<Say>hi</Say>"), TwimlParseError);
    assert.throws(() => parseTwiml("<Response>a < b</Response>"), TwimlParseError);
  });
});
