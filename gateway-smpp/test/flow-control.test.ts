import assert from "node:assert/strict";
import { it } from "node:test";
import { OtpError } from "@domain/errors";
import { randomPhone, sessionTo, startSimulator } from "./harness";

it("throttled: the bind cuts its learned rate, every message is accepted once", async () => {
  const simulator = await startSimulator({ throttlePerSecond: 5 });
  const session = sessionTo(simulator, {
    messagesPerSecond: 40,
    retry: { throttledPauseMs: 100, maxThrottledRetries: 50 },
  });
  try {
    const phones = Array.from({ length: 15 }, () => randomPhone());
    const results = await Promise.all(
      phones.map((destination) => session.submit({ source: "MyBank", destination, text: "code 222222" })),
    );
    assert.equal(results.length, 15);
    for (const phone of phones) assert.equal(simulator.inbox.partCount(phone), 1, "sent exactly once");
    assert.ok(simulator.stats().throttled > 0, "the simulator throttled");
    assert.equal(session.stats().counters.throttled, simulator.stats().throttled);
    const { counters, currentRate } = session.stats();
    assert.ok(currentRate < 40, "the bind learned a lower rate");
    assert.ok(counters.rateCuts >= 1, "at least one cut");
    assert.equal(simulator.stats().accepted, 15);
  } finally {
    await session.close();
    await simulator.close();
  }
});

it("queue full: a few retries, then SMPP_QUEUE_FULL", async () => {
  const simulator = await startSimulator({ queueFull: { every: 1, burst: 1 } });
  const session = sessionTo(simulator, { retry: { queueFullPauseMs: 20, maxQueueFullRetries: 3 } });
  try {
    await assert.rejects(
      session.submit({ source: "MyBank", destination: randomPhone(), text: "code 333333" }),
      (err: unknown) => err instanceof OtpError && err.code === "SMPP_QUEUE_FULL",
    );
    assert.equal(simulator.stats().submitsReceived, 4, "1 try + 3 retries");
    assert.equal(simulator.stats().accepted, 0);
  } finally {
    await session.close();
    await simulator.close();
  }
});

it("queue full for a short burst: the retry gets through", async () => {
  const simulator = await startSimulator({ queueFull: { every: 10, burst: 2 } });
  const session = sessionTo(simulator, { retry: { queueFullPauseMs: 20, maxQueueFullRetries: 3 } });
  try {
    const phone = randomPhone();
    const result = await session.submit({ source: "MyBank", destination: phone, text: "code 444444" });
    assert.equal(result.messageIds.length, 1);
    assert.equal(simulator.inbox.partCount(phone), 1);
    assert.equal(session.stats().counters.queueFull, 2);
  } finally {
    await session.close();
    await simulator.close();
  }
});

it("window: never more unanswered submits than the window", async () => {
  const simulator = await startSimulator({ responseDelayMs: 150 });
  const session = sessionTo(simulator, { window: 3, messagesPerSecond: 1_000 });
  try {
    const submits = Array.from({ length: 12 }, () =>
      session.submit({ source: "MyBank", destination: randomPhone(), text: "code 555555" }),
    );
    await Promise.all(submits);
    assert.equal(simulator.stats().accepted, 12);
    assert.ok(
      simulator.stats().maxUnansweredPerSession <= 3,
      `saw ${simulator.stats().maxUnansweredPerSession}`,
    );
    assert.ok(simulator.stats().maxUnansweredPerSession >= 2, "the window was used");
  } finally {
    await session.close();
    await simulator.close();
  }
});

it("queue beyond the window is bounded: excess callers are refused at once", async () => {
  const simulator = await startSimulator({ responseDelayMs: 300 });
  const session = sessionTo(simulator, { window: 1, maxQueued: 2 });
  try {
    await session.waitUntilBound(5_000);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 5 }, () =>
        session.submit({ source: "MyBank", destination: randomPhone(), text: "x" }),
      ),
    );
    const refused = outcomes.filter(
      (o) => o.status === "rejected" && o.reason instanceof OtpError && o.reason.code === "OTP_OVERLOADED",
    );
    assert.equal(refused.length, 2);
    assert.equal(outcomes.filter((o) => o.status === "fulfilled").length, 3);
  } finally {
    await session.close();
    await simulator.close();
  }
});
