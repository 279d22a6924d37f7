/**
 * The simulator's outage drills that are not "every n-th submit": receipts sent more than once
 * or on another connection, every connection dropped at once (an SMSC restarting) or gone
 * half-open (up, never answered), also through the control API.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { OtpError } from "@domain/errors";
import type { DeliveryReceipt } from "../src/delivery-receipt";
import { startControlApi } from "../src/simulator/control-api";
import { eventually, randomPhone, sessionTo, startSimulator } from "./harness";

it("receipt copies: every receipt arrives as many times as the scenario says", async () => {
  const simulator = await startSimulator({
    receiptCopies: 3,
    receiptRepeatMs: 20,
    default: { receiptDelayMs: 5 },
  });
  const receipts: DeliveryReceipt[] = [];
  const session = sessionTo(simulator, { onReceipt: (receipt) => receipts.push(receipt) });
  try {
    const { messageIds } = await session.submit({ source: "MyBank", destination: randomPhone(), text: "x" });
    await eventually("three copies", () => receipts.length === 3);
    assert.deepEqual(
      receipts.map((r) => r.messageId),
      Array<string>(3).fill(messageIds[0] ?? ""),
    );
    assert.equal(simulator.stats().receiptsSent, 3);
    assert.equal(simulator.stats().accepted, 1, "one message, three receipts");
  } finally {
    await session.close();
    await simulator.close();
  }
});

for (const otherBind of [false, true]) {
  it(`receipts ${otherBind ? "on another connection" : "on the submitting connection"} are counted as such`, async () => {
    const simulator = await startSimulator({
      receiptsOnOtherBind: otherBind,
      default: { receiptDelayMs: 5 },
    });
    const received = { first: 0, second: 0 };
    const first = sessionTo(simulator, { onReceipt: () => received.first++ });
    const second = sessionTo(simulator, { onReceipt: () => received.second++ });
    try {
      await Promise.all([first.waitUntilBound(5_000), second.waitUntilBound(5_000)]);
      for (let i = 0; i < 3; i++)
        await first.submit({ source: "MyBank", destination: randomPhone(), text: "x" });
      await eventually("three receipts", () => received.first + received.second === 3);
      assert.deepEqual(received, otherBind ? { first: 0, second: 3 } : { first: 3, second: 0 });
      assert.equal(simulator.stats().receiptsOnOtherSession, otherBind ? 3 : 0);
    } finally {
      await Promise.all([first.close(), second.close()]);
      await simulator.close();
    }
  });
}

for (const unbind of [false, true]) {
  it(`dropping every connection${unbind ? " with an unbind" : ""}: the submit in flight is unanswered, the bind comes back`, async () => {
    const simulator = await startSimulator({ responseDelayMs: 500 });
    const session = sessionTo(simulator);
    try {
      await session.waitUntilBound(5_000);
      const phone = randomPhone();
      const inFlight = session.submit({ source: "MyBank", destination: phone, text: "in flight" });
      await eventually("accepted by the SMSC", () => simulator.inbox.partCount(phone) === 1);
      assert.equal(simulator.dropConnections({ unbind }), 1);
      await assert.rejects(
        inFlight,
        (err: unknown) => err instanceof OtpError && err.code === "SMPP_RESPONSE_TIMEOUT",
      );
      assert.equal(simulator.inbox.partCount(phone), 1, "the message went, its answer did not");
      await eventually("bound again", () => session.state === "bound" && session.stats().counters.binds >= 2);
      assert.equal(simulator.stats().connectionsDropped, 1);
      assert.equal(simulator.stats().unbindsSent, unbind ? 1 : 0);
      if (unbind) assert.match(session.stats().lastError ?? "", /unbound/);
    } finally {
      await session.close();
      await simulator.close();
    }
  });
}

it("muted connections go half-open: the submit in flight is unanswered, a new connection works", async () => {
  const simulator = await startSimulator({ responseDelayMs: 300 });
  const session = sessionTo(simulator, { enquireLinkIntervalMs: 200, responseTimeoutMs: 500 });
  try {
    await session.waitUntilBound(5_000);
    const phone = randomPhone();
    const inFlight = session.submit({ source: "MyBank", destination: phone, text: "in flight" });
    await eventually("accepted by the SMSC", () => simulator.inbox.partCount(phone) === 1);
    assert.equal(simulator.muteConnections(), 1);
    await assert.rejects(
      inFlight,
      (err: unknown) => err instanceof OtpError && err.code === "SMPP_RESPONSE_TIMEOUT",
    );
    // Nothing changed in the scenario: the watchdog drops the dead connection, a new one binds.
    await eventually("bound again", () => session.state === "bound" && session.stats().counters.binds >= 2);
    assert.match(session.stats().lastError ?? "", /enquire_link/);
    const after = randomPhone();
    await session.submit({ source: "MyBank", destination: after, text: "works again" });
    assert.equal(simulator.inbox.partCount(after), 1);
    assert.equal(simulator.stats().connectionsMuted, 1);
  } finally {
    await session.close();
    await simulator.close();
  }
});

it("control API: POST /connections/drop drops every bind, /connections/mute mutes them", async () => {
  const simulator = await startSimulator();
  const api = await startControlApi(simulator, 0);
  const sessions = [sessionTo(simulator), sessionTo(simulator)];
  try {
    await Promise.all(sessions.map((s) => s.waitUntilBound(5_000)));
    const answer = await fetch(`http://127.0.0.1:${api.port}/connections/drop?unbind=1`, { method: "POST" });
    assert.equal(answer.status, 200);
    assert.deepEqual(await answer.json(), { dropped: 2 });
    await eventually("both bound again", () => sessions.every((s) => s.stats().counters.binds >= 2));
    const muted = await fetch(`http://127.0.0.1:${api.port}/connections/mute`, { method: "POST" });
    assert.deepEqual(await muted.json(), { muted: 2 });
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
    await api.close();
    await simulator.close();
  }
});
