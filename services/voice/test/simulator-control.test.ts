import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  ACCOUNT_SID,
  AUTH_TOKEN,
  eventually,
  startVoiceStack,
  voiceDispatch,
  type VoiceStack,
} from "./harness";

describe("voice simulator", () => {
  let stack: VoiceStack;
  let base: string;
  before(async () => {
    stack = await startVoiceStack({ scenario: { default: { ringDelayMs: 5, answerDelayMs: 5, talkMs: 5 } } });
    base = stack.simulator.url;
  });
  after(() => stack.close());

  const auth = { authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString("base64")}` };

  it("HTTP control: inbox per phone, clear, scenario get/put with validation, stats", async () => {
    const d = voiceDispatch("62812", { code: "246810", locale: "en-US" });
    await stack.connector.dispatch(d);
    await eventually("heard", () => stack.simulator.inbox.calls(d.phone).length === 1);
    const inbox = (await (await fetch(`${base}/inbox?phone=${encodeURIComponent(d.phone)}`)).json()) as {
      calls: Array<{ heard: string }>;
    };
    assert.match(inbox.calls[0]?.heard ?? "", /Your verification code is 2, 4, 6, 8, 1, 0\./);
    assert.equal((await fetch(`${base}/inbox`, { method: "DELETE" })).status, 204);
    assert.deepEqual(await (await fetch(`${base}/inbox`)).json(), { calls: [] });

    const scenario = { seed: 3, callsPerSecond: 5 };
    assert.equal(
      (await fetch(`${base}/scenario`, { method: "PUT", body: JSON.stringify(scenario) })).status,
      200,
    );
    assert.deepEqual(await (await fetch(`${base}/scenario`)).json(), scenario);
    const bad = await fetch(`${base}/scenario`, {
      method: "PUT",
      body: JSON.stringify({ default: { answeredBy: "fax" } }),
    });
    assert.equal(bad.status, 400);
    const stats = (await (await fetch(`${base}/stats`)).json()) as {
      created: number;
      callbacksPosted: number;
    };
    assert.ok(stats.created >= 1 && stats.callbacksPosted >= 1);
  });

  it("speaks Twilio's error format: 401 20003, 404 20404, 400 21626", async () => {
    const calls = `${base}/2010-04-01/Accounts/${ACCOUNT_SID}/Calls`;
    const unauthenticated = await fetch(`${calls}.json`, { method: "POST", body: "To=%2B6281234567890" });
    assert.equal(unauthenticated.status, 401);
    assert.deepEqual(await unauthenticated.json(), {
      code: 20003,
      message: "Authenticate",
      more_info: "https://www.twilio.com/docs/errors/20003",
      status: 401,
    });
    const missing = await fetch(`${calls}/CA${"f".repeat(32)}.json`, {
      method: "POST",
      headers: auth,
      body: "Status=canceled",
    });
    assert.equal(((await missing.json()) as { code: number }).code, 20404);
    const form = new URLSearchParams({
      To: "+6281234567890",
      From: "+622150000000",
      Url: "https://x.test/t",
    });
    form.append("StatusCallbackEvent", "exploded");
    const badEvent = await fetch(`${calls}.json`, { method: "POST", headers: auth, body: form.toString() });
    assert.equal(((await badEvent.json()) as { code: number }).code, 21626);
  });
});
