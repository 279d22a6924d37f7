import assert from "node:assert/strict";
import { it } from "node:test";
import { OtpError } from "@domain/errors";
import { SmppStatusError } from "../src/smpp-status";
import type { Scenario } from "../src/simulator/scenario";
import { eventually, randomPhone, sessionTo, startSimulator } from "./harness";

const misbehaviours: Array<[string, Scenario]> = [
  ["unbind on submit", { unbindOnSubmitEvery: 1 }],
  ["dropped TCP connection on submit", { dropConnectionOnSubmitEvery: 1 }],
];

for (const [name, scenario] of misbehaviours) {
  it(`${name}: outcome unknown, then reconnect + rebind and later submits work`, async () => {
    const simulator = await startSimulator(scenario);
    const session = sessionTo(simulator);
    try {
      await assert.rejects(
        session.submit({ source: "MyBank", destination: randomPhone(), text: "lost" }),
        (err: unknown) => err instanceof OtpError && err.code === "SMPP_RESPONSE_TIMEOUT",
      );
      simulator.setScenario({});
      await eventually("bound again", () => session.state === "bound" && session.stats().counters.binds >= 2);
      const phone = randomPhone();
      const result = await session.submit({ source: "MyBank", destination: phone, text: "works again" });
      assert.equal(result.messageIds.length, 1);
      assert.equal(simulator.inbox.partCount(phone), 1);
      assert.equal(simulator.stats().submitsReceived, 2, "the lost submit was not sent again");
    } finally {
      await session.close();
      await simulator.close();
    }
  });
}

it("wrong password: bind refused with 0x0E, submits fail SMPP_NOT_BOUND", async () => {
  const simulator = await startSimulator();
  const session = sessionTo(simulator, {
    bind: { mode: "transceiver", systemId: "otp-router", password: "wrong" },
    notBoundWaitMs: 300,
  });
  try {
    await eventually("a bind attempt", () => simulator.stats().bindFailures >= 1);
    await assert.rejects(
      session.submit({ source: "MyBank", destination: randomPhone(), text: "x" }),
      (err: unknown) => err instanceof OtpError && err.code === "SMPP_NOT_BOUND",
    );
    assert.match(session.stats().lastError ?? "", /0x0E/);
    assert.notEqual(session.state, "bound");
  } finally {
    await session.close();
    await simulator.close();
  }
});

it("alphanumeric sender refused for a prefix: SMPP_SUBMIT_FAILED with status 0x0A", async () => {
  const simulator = await startSimulator({ routes: [{ prefix: "62899", rejectAlphanumericSender: true }] });
  const session = sessionTo(simulator);
  try {
    const phone = randomPhone("62899");
    await assert.rejects(
      session.submit({ source: "MyBank", destination: phone, text: "x" }),
      (err: unknown) =>
        err instanceof SmppStatusError && err.code === "SMPP_SUBMIT_FAILED" && err.commandStatus === 0x0a,
    );
    const numeric = await session.submit({ source: "+6281100000", destination: phone, text: "y" });
    assert.equal(numeric.messageIds.length, 1);
    assert.equal(simulator.inbox.messages(phone)[0]?.from, "6281100000");
  } finally {
    await session.close();
    await simulator.close();
  }
});

it("close() drains unanswered submits and unbinds", async () => {
  const simulator = await startSimulator({ responseDelayMs: 200 });
  const session = sessionTo(simulator);
  await session.waitUntilBound(5_000);
  const pending = session.submit({ source: "MyBank", destination: randomPhone(), text: "drain me" });
  await eventually("in flight", () => simulator.stats().submitsReceived === 1);
  await session.close();
  assert.equal((await pending).messageIds.length, 1);
  assert.equal(session.state, "closed");
  await assert.rejects(session.submit({ source: "MyBank", destination: randomPhone(), text: "x" }));
  await simulator.close();
});
