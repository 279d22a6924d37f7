import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Channel, DeliveryStatus as S, FailureClass as F } from "@proto/otp/v1/common";
import { twilioSignature } from "../src/twilio-signature";
import {
  AUTH_TOKEN,
  eventually,
  receiptsOf,
  startVoiceStack,
  voiceDispatch,
  type VoiceStack,
} from "./harness";

const fast = { ringDelayMs: 5, answerDelayMs: 5, talkMs: 5 };
const ok = (status: S) => [status, F.FAILURE_CLASS_UNSPECIFIED, ""];

describe("status callbacks become receipts", () => {
  let stack: VoiceStack;
  before(async () => {
    stack = await startVoiceStack({
      scenario: {
        default: fast,
        routes: [
          { prefix: "62821", outcomeMix: { busy: 1 } },
          { prefix: "62822", outcomeMix: { "no-answer": 1 } },
          { prefix: "62823", outcomeMix: { failed: 1 } },
        ],
      },
    });
  });
  after(() => stack.close());

  const run = async (prefix: string, count: number) => {
    const d = voiceDispatch(prefix);
    await stack.connector.dispatch(d);
    await eventually(`${count} receipts`, () => receiptsOf(stack, d.verificationId).length >= count);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const receipts = receiptsOf(stack, d.verificationId);
    return { d, receipts, seen: receipts.map((r) => [r.status, r.failureClass, r.reason]) };
  };

  it("answered and completed: ACCEPTED, SENT (ringing), DELIVERED (answered), READ (listened)", async () => {
    const { d, receipts, seen } = await run("62812", 4);
    assert.deepEqual(seen, [
      ok(S.DELIVERY_STATUS_ACCEPTED),
      ok(S.DELIVERY_STATUS_SENT),
      ok(S.DELIVERY_STATUS_DELIVERED),
      ok(S.DELIVERY_STATUS_READ),
    ]);
    const callSid = receipts[0]?.providerMessageId ?? "";
    assert.match(callSid, /^CA[0-9a-f]{32}$/);
    for (const r of receipts) {
      assert.equal(r.providerMessageId, callSid);
      assert.equal(r.channel, Channel.CHANNEL_VOICE);
      assert.equal(r.attempt, d.attempt);
      assert.equal(r.district, d.district);
      assert.equal(r.route, "twilio");
    }
  });

  const failures: Array<[string, string, string]> = [
    ["busy", "62821", "VOICE_BUSY"],
    ["no-answer", "62822", "VOICE_NO_ANSWER"],
    ["failed", "62823", "VOICE_FAILED"],
  ];
  for (const [name, prefix, reason] of failures) {
    it(`${name}: FAILED PERMANENT ${reason}`, async () => {
      const { seen } = await run(prefix, 2);
      assert.deepEqual(seen.at(-1), [S.DELIVERY_STATUS_FAILED, F.FAILURE_CLASS_PERMANENT, reason]);
      assert.deepEqual(seen[0], ok(S.DELIVERY_STATUS_ACCEPTED));
    });
  }
});

describe("callback endpoint security", () => {
  let stack: VoiceStack;
  before(async () => {
    stack = await startVoiceStack();
  });
  after(() => stack.close());

  const url = () => `${stack.baseUrl}/voice/status?verificationId=ver-x&attempt=1&district=d`;
  const params = new URLSearchParams({
    CallSid: `CA${"0".repeat(32)}`,
    CallStatus: "completed",
    AccountSid: "AC1",
  });
  const post = (body: string, signature?: string) =>
    fetch(url(), {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        ...(signature ? { "x-twilio-signature": signature } : {}),
      },
      body,
    });

  it("accepts a callback signed with the auth token", async () => {
    assert.equal((await post(params.toString(), twilioSignature(AUTH_TOKEN, url(), params))).status, 204);
    assert.equal(receiptsOf(stack, "ver-x").at(-1)?.status, S.DELIVERY_STATUS_READ);
  });

  it("takes a replayed signed callback once: no second receipt", async () => {
    const replayed = new URLSearchParams({
      CallSid: `CA${"1".repeat(32)}`,
      CallStatus: "no-answer",
      AccountSid: "AC1",
    });
    const signature = twilioSignature(AUTH_TOKEN, url(), replayed);
    assert.equal((await post(replayed.toString(), signature)).status, 204);
    const after = stack.receipts.length;
    assert.equal(receiptsOf(stack, "ver-x").at(-1)?.reason, "VOICE_NO_ANSWER");
    // Signed correctly and answered as usual (the provider must not retry), reported no more.
    assert.equal((await post(replayed.toString(), signature)).status, 204);
    assert.equal((await post(replayed.toString(), signature)).status, 204);
    assert.equal(stack.receipts.length, after);
  });

  it("rejects a missing signature, another token's, and a tampered body with 401; no receipt", async () => {
    const before = stack.receipts.length;
    assert.equal((await post(params.toString())).status, 401);
    assert.equal(
      (await post(params.toString(), twilioSignature("another-token", url(), params))).status,
      401,
    );
    const tampered = new URLSearchParams(params);
    tampered.set("CallStatus", "busy");
    assert.equal((await post(tampered.toString(), twilioSignature(AUTH_TOKEN, url(), params))).status, 401);
    assert.equal(stack.receipts.length, before);
  });

  it("rejects a signature made for another URL (the query is signed too)", async () => {
    const other = `${stack.baseUrl}/voice/status?verificationId=ver-y&attempt=1&district=d`;
    assert.equal((await post(params.toString(), twilioSignature(AUTH_TOKEN, other, params))).status, 401);
  });

  it("answers 413 to an oversized body and 400 to a signed non-callback, and keeps serving", async () => {
    assert.equal((await post("a=".padEnd(70 * 1024, "x"))).status, 413);
    const junk = new URLSearchParams({ Hello: "world" });
    assert.equal((await post(junk.toString(), twilioSignature(AUTH_TOKEN, url(), junk))).status, 400);
    assert.equal((await post(params.toString(), twilioSignature(AUTH_TOKEN, url(), params))).status, 204);
  });
});
