/**
 * Redis loses every key while verifications are live, over real Kafka and Redis: routing keeps
 * its state and timers with the partitions it owns (ADR 0007), so nothing changes for it. A
 * verification waiting on its WhatsApp step still falls back to SMS, once; one already verified
 * sends nothing more.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { Channel } from "@proto/otp/v1/common";
import {
  type ConnectorScript,
  delivered,
  eventually,
  type RoutingHarness,
  startRoutingHarness,
} from "./harness";

describe("routing after its store lost its data", () => {
  let h: RoutingHarness;
  const scripts = new Map<string, ConnectorScript>();

  before(async () => {
    h = await startRoutingHarness("store-loss");
    h.setScript((d) => scripts.get(d.verificationId)?.(d) ?? []);
    await h.startService();
    await h.ready();
  });
  after(async () => {
    await h.close();
  });

  const dispatchOf = (id: string, attempt: number) =>
    eventually(
      () => h.dispatchesOf(id).find((d) => d.attempt === attempt),
      `attempt ${attempt} of ${id}`,
      60_000,
    );

  it("an emptied store changes nothing for routing: timers fire once, nothing is sent twice", async () => {
    // signup: WhatsApp 2 s (not delivered → fall back) → SMS 30 s → voice 30 s.
    const waiting = await h.issue({ purpose: "signup" });
    const verified = await h.issue({ purpose: "signup" });
    scripts.set(verified, () => [delivered(50, 100)]);
    await dispatchOf(waiting, 1);
    await dispatchOf(verified, 1);
    await eventually(
      () => h.eventsOf(verified).find((e) => e.event?.$case === "codeChecked"),
      "the verified one checked",
    );
    await sleep(300); // routing has applied the check

    await h.store.clear();
    assert.ok((await h.timerScore(`${waiting}|f|1`)) !== null, "the fallback timer is not in the store");

    const sms = await dispatchOf(waiting, 2);
    assert.equal(sms.channel, Channel.CHANNEL_SMS, "the WhatsApp step still fell back, to SMS");
    assert.ok((await h.timerScore(`${waiting}|f|2`)) !== null, "the SMS step has its timer");
    assert.ok((await h.timerScore(`${waiting}|x`)) !== null, "the expiry timer stands");

    await sleep(1_500); // time for anything wrongly re-sent to show up
    const attempts = (id: string) => h.dispatchesOf(id).map((d) => d.attempt);
    assert.deepEqual(attempts(waiting), [1, 2], "each attempt dispatched once");
    assert.deepEqual(attempts(verified), [1], "a verified verification sends nothing more");
    assert.equal(await h.timerScore(`${verified}|x`), null, "no timers for a finished verification");
  });
});
