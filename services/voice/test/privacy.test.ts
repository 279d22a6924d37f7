import assert from "node:assert/strict";
import { it } from "node:test";
import { eventually, receiptsOf, startVoiceStack, voiceDispatch } from "./harness";

it("no code or full phone number in logs or callback URLs; the code only in the TwiML", async () => {
  const stack = await startVoiceStack({
    keyPress: true,
    scenario: {
      default: { ringDelayMs: 5, answerDelayMs: 5, talkMs: 5 },
      routes: [{ prefix: "62821", outcomeMix: { busy: 1 } }],
      failFirst: { count: 1, httpStatus: 503, code: 20500 },
    },
  });
  try {
    const dispatches = [
      voiceDispatch("62812"),
      voiceDispatch("62821"),
      voiceDispatch("62812", { phone: "+1234" }),
      voiceDispatch("62812", { expiresAt: new Date(Date.now() + 1_000) }),
    ];
    for (const d of dispatches) await stack.connector.dispatch(d);
    await eventually("calls finished", () =>
      dispatches.slice(0, 2).every((d) => receiptsOf(stack, d.verificationId).length >= 3),
    );
    await stack.connector.cancel(dispatches[0]?.verificationId ?? "");
    await fetch(`${stack.baseUrl}/voice/status?verificationId=v&attempt=1`, {
      method: "POST",
      body: "CallSid=CA1",
    });

    const logs = stack.logs.join("\n");
    assert.ok(stack.logs.length > 3, "expected log lines to inspect");
    for (const d of dispatches) {
      assert.ok(!logs.includes(d.code), "a code leaked into the logs");
      const digits = d.phone.replace(/\D/g, "");
      if (digits.length >= 8) assert.ok(!logs.includes(digits), "a phone number leaked into the logs");
    }
    const [answered] = dispatches;
    const callSid = receiptsOf(stack, answered?.verificationId ?? "")[0]?.providerMessageId ?? "";
    const request = stack.simulator.call(callSid)?.request;
    assert.ok(request?.twiml.includes('action="'), "the first call asks for a key press");
    assert.ok(
      !request?.twiml.includes([...(answered?.code ?? "")].join(", ")),
      "the code waits behind the key press",
    );
    assert.ok(!request?.statusCallback?.includes(answered?.code ?? "?"));
    assert.ok(!request?.statusCallback?.includes(answered?.phone.slice(1) ?? "?"));
    await eventually("heard after the key press", () =>
      (stack.simulator.inbox.calls(answered?.phone)[0]?.heard ?? "").includes(
        [...(answered?.code ?? "")].join(", "),
      ),
    );
  } finally {
    await stack.close();
  }
});
