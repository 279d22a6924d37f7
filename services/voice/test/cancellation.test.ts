import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DeliveryStatus as S } from "@proto/otp/v1/common";
import { eventually, receiptsOf, startVoiceStack, voiceDispatch, type VoiceStack } from "./harness";

describe("cancellation when the verification is done", () => {
  let stack: VoiceStack;
  before(async () => {
    stack = await startVoiceStack({
      scenario: {
        default: { ringDelayMs: 5, answerDelayMs: 5, talkMs: 5 },
        routes: [
          { prefix: "62831", answerDelayMs: 60_000 },
          { prefix: "62832", talkMs: 60_000 },
        ],
      },
    });
  });
  after(() => stack.close());

  const statuses = (verificationId: string) => receiptsOf(stack, verificationId).map((r) => r.status);

  it("cancels a ringing call: Status=canceled, CANCELLED receipt, nothing heard", async () => {
    const d = voiceDispatch("62831");
    await stack.connector.dispatch(d);
    await eventually("ringing", () => statuses(d.verificationId).includes(S.DELIVERY_STATUS_SENT));
    assert.equal(await stack.connector.cancel(d.verificationId), 1);
    await eventually("cancelled", () => statuses(d.verificationId).includes(S.DELIVERY_STATUS_CANCELLED));
    const callSid = receiptsOf(stack, d.verificationId)[0]?.providerMessageId ?? "";
    assert.equal(stack.simulator.call(callSid)?.status, "canceled");
    assert.equal(receiptsOf(stack, d.verificationId).at(-1)?.reason, "VOICE_CANCELED");
    assert.equal(stack.simulator.inbox.calls(d.phone).length, 0);
    // Nothing left to cancel.
    assert.equal(await stack.connector.cancel(d.verificationId), 0);
  });

  it("hangs up an answered call (Status=completed)", async () => {
    const d = voiceDispatch("62832");
    await stack.connector.dispatch(d);
    await eventually("answered", () => statuses(d.verificationId).includes(S.DELIVERY_STATUS_DELIVERED));
    assert.equal(await stack.connector.cancel(d.verificationId), 1);
    const callSid = receiptsOf(stack, d.verificationId)[0]?.providerMessageId ?? "";
    await eventually("hung up", () => stack.simulator.call(callSid)?.status === "completed");
  });

  it("does not call at all once the verification is cancelled", async () => {
    const d = voiceDispatch("62812");
    const before = stack.simulator.stats().created;
    await stack.connector.cancel(d.verificationId);
    await stack.connector.dispatch(d);
    assert.equal(stack.simulator.stats().created, before);
    assert.deepEqual(
      receiptsOf(stack, d.verificationId).map((r) => [r.status, r.reason]),
      [[S.DELIVERY_STATUS_CANCELLED, "CANCELLED_BEFORE_CALL"]],
    );
  });
});
