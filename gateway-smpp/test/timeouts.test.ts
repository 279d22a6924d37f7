import assert from "node:assert/strict";
import { it } from "node:test";
import { OtpError } from "@domain/errors";
import { eventually, randomPhone, sessionTo, startSimulator } from "./harness";

it("no submit response: SMPP_RESPONSE_TIMEOUT, outcome unknown, never sent twice", async () => {
  const simulator = await startSimulator({ noSubmitResponse: true });
  const session = sessionTo(simulator, { responseTimeoutMs: 400 });
  try {
    const phone = randomPhone();
    await assert.rejects(
      session.submit({ source: "MyBank", destination: phone, text: "code 111111" }),
      (err: unknown) => err instanceof OtpError && err.code === "SMPP_RESPONSE_TIMEOUT" && !err.retryable,
    );
    await new Promise((resolve) => setTimeout(resolve, 800));
    assert.equal(simulator.inbox.partCount(phone), 1);
    assert.equal(simulator.stats().submitsReceived, 1);
    assert.equal(session.stats().counters.responseTimeouts, 1);
    assert.equal(session.stats().state, "bound");
  } finally {
    await session.close();
    await simulator.close();
  }
});

it("half-open connection: the enquire_link watchdog drops it and the bind comes back", async () => {
  const simulator = await startSimulator();
  const session = sessionTo(simulator, {
    enquireLinkIntervalMs: 200,
    responseTimeoutMs: 300,
    bindTimeoutMs: 300,
  });
  try {
    await session.waitUntilBound(5_000);
    simulator.setScenario({ silent: true });
    await eventually("the watchdog notices", () => session.state !== "bound");
    assert.match(session.stats().lastError ?? "", /enquire_link/);
    simulator.setScenario({});
    await eventually("bound again", () => session.state === "bound");
    assert.ok(session.stats().counters.binds >= 2);
    const phone = randomPhone();
    const result = await session.submit({ source: "MyBank", destination: phone, text: "after recovery" });
    assert.equal(result.messageIds.length, 1);
    assert.equal(simulator.inbox.messages(phone)[0]?.text, "after recovery");
  } finally {
    await session.close();
    await simulator.close();
  }
});
