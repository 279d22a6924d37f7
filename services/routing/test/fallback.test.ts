/**
 * Fallback over real Kafka and Redis: WhatsApp → SMS on timeout and on a hard failure, voice as
 * the last resort, cancel on success (timers removed, the queued call cancelled), late receipts
 * that never re-send, expiry. The test plays issuance and the connectors (harness.ts).
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { CheckOutcome, FallbackReason } from "@proto/otp/events/v1/events";
import { Channel, DeliveryStatus, FailureClass } from "@proto/otp/v1/common";
import {
  type Dispatch,
  delivered,
  eventCase,
  eventually,
  hardFailure,
  type RoutingHarness,
  startRoutingHarness,
} from "./harness";
import type { RoutingService } from "../src/routing-service";

describe("routing fallback over Kafka and Redis", () => {
  let h: RoutingHarness;
  let routing: RoutingService;
  /** Per verification: what the fake connectors answer. */
  const scripts = new Map<string, (d: Dispatch) => ReturnType<Parameters<RoutingHarness["setScript"]>[0]>>();

  before(async () => {
    h = await startRoutingHarness("fallback");
    h.setScript((d) => scripts.get(d.verificationId)?.(d) ?? []);
    // These tests time WhatsApp out on purpose, all in one district: a few clear failures would
    // (rightly) put SMS first there. Fallback, not health, is under test.
    routing = await h.startService({ settings: { health: { downThreshold: Infinity } } });
    await h.ready();
  });
  after(async () => {
    await h.close();
  });

  const dispatchOf = (id: string, attempt: number) =>
    eventually(() => h.dispatchesOf(id).find((d) => d.attempt === attempt), `attempt ${attempt} of ${id}`);
  const fallbackOf = (id: string, toAttempt: number) =>
    eventually(
      () =>
        h
          .eventsOf(id)
          .find((e) => e.event?.$case === "fallbackTriggered" && e.event.value.toAttempt === toAttempt),
      `fallback to attempt ${toAttempt}`,
    );

  it("WhatsApp without a delivery receipt falls back to SMS when the step times out", async () => {
    const id = await h.issue();
    const whatsapp = await dispatchOf(id, 1);
    assert.equal(whatsapp.channel, Channel.CHANNEL_WHATSAPP);
    const sms = await dispatchOf(id, 2);
    assert.equal(sms.channel, Channel.CHANNEL_SMS);
    assert.equal(sms.route, "id-telkomsel-direct");
    const fallback = await fallbackOf(id, 2);
    assert.equal(
      fallback.event?.$case === "fallbackTriggered" && fallback.event.value.reason,
      FallbackReason.FALLBACK_REASON_TIMEOUT,
    );
    const [first, second] = h.eventsOf(id).filter((e) => e.event?.$case === "dispatchRequested");
    const waited = second!.occurredAt!.getTime() - first!.occurredAt!.getTime();
    assert.ok(waited >= 2_000, `fell back after ${waited} ms, before the 2 s step timeout`);
  });

  it("a hard failure falls back at once, without waiting for the step's 30 s timer", async () => {
    const id = await h.issue({ purpose: "transaction" });
    scripts.set(id, (d) => (d.attempt === 1 ? [hardFailure("WHATSAPP_131026")] : [delivered()]));
    const first = await dispatchOf(id, 1);
    assert.equal(first.channel, Channel.CHANNEL_WHATSAPP);
    const sms = await eventually(
      () => h.dispatchesOf(id).find((d) => d.attempt === 2),
      "SMS attempt",
      20_000,
    );
    assert.equal(sms.channel, Channel.CHANNEL_SMS);
    const fallback = await fallbackOf(id, 2);
    assert.ok(fallback.event?.$case === "fallbackTriggered");
    assert.equal(fallback.event.value.reason, FallbackReason.FALLBACK_REASON_HARD_FAILURE);
    assert.match(fallback.event.value.detail, /WHATSAPP_131026/);
    assert.equal(await h.timerScore(`${id}|f|1`), null, "the WhatsApp step's timer is gone");
  });

  it("voice is the last resort; verifying cancels the ringing call and every timer", async () => {
    const id = await h.issue();
    scripts.set(id, (d) => {
      if (d.channel === Channel.CHANNEL_WHATSAPP) return [hardFailure("WHATSAPP_131026")];
      if (d.channel === Channel.CHANNEL_SMS) return [delivered()];
      return [{ status: DeliveryStatus.DELIVERY_STATUS_SENT, afterMs: 20 }];
    });
    const voice = await dispatchOf(id, 3);
    assert.equal(voice.channel, Channel.CHANNEL_VOICE);
    // SMS was delivered but not verified within its step: the call is the last resort.
    const reason = await fallbackOf(id, 3);
    assert.ok(reason.event?.$case === "fallbackTriggered");
    assert.equal(reason.event.value.reason, FallbackReason.FALLBACK_REASON_TIMEOUT);
    await eventually(
      () => h.eventsOf(id).some((e) => e.event?.$case === "deliveryReported" && e.event.value.attempt === 3),
      "call ringing",
    );

    await h.publish(id, {
      $case: "codeChecked",
      value: { outcome: CheckOutcome.CHECK_OUTCOME_VERIFIED, checksUsed: 1, matchedAttempt: 2 },
    });
    const cancelled = await eventually(
      () => h.eventsOf(id).find((e) => e.event?.$case === "dispatchCancelled"),
      "call cancelled",
    );
    assert.ok(cancelled.event?.$case === "dispatchCancelled");
    assert.equal(cancelled.event.value.attempt, 3);
    assert.equal(cancelled.event.value.channel, Channel.CHANNEL_VOICE);
    await eventually(async () => (await h.timerScore(`${id}|x`)) === null, "expiry timer removed");
    assert.equal(await h.timerScore(`${id}|f|3`), null, "fallback timer removed");
    await sleep(2_500);
    assert.equal(h.dispatchesOf(id).length, 3, "nothing dispatched after the code was verified");
    assert.ok(
      !h
        .eventsOf(id)
        .some((e) => eventCase(e) === "verificationFailed" || eventCase(e) === "verificationExpired"),
    );
  });

  it("a late receipt of an earlier attempt is recorded but never re-sends", async () => {
    const id = await h.issue({ purpose: "signup" });
    scripts.set(id, (d) => (d.channel === Channel.CHANNEL_SMS ? [delivered(50)] : []));
    await dispatchOf(id, 2);
    // WhatsApp reports long after routing moved on: a failure, then a delivery.
    await h.publish(id, {
      $case: "deliveryReported",
      value: {
        attempt: 1,
        channel: Channel.CHANNEL_WHATSAPP,
        route: "whatsapp",
        status: DeliveryStatus.DELIVERY_STATUS_FAILED,
        failureClass: FailureClass.FAILURE_CLASS_PERMANENT,
        reason: "WHATSAPP_131026",
        providerMessageId: "late",
        district: "ID-JK-JS",
        operator: "",
        providerTime: new Date(),
        providerSubmitDate: "",
        providerDoneDate: "",
      },
    });
    await eventually(
      async () => (await routing.states.load(id))?.attempts[0]?.lastStatus === "failed",
      "recorded",
    );
    await sleep(2_500);
    assert.deepEqual(
      h.dispatchesOf(id).map((d) => [d.attempt, d.channel]),
      [
        [1, Channel.CHANNEL_WHATSAPP],
        [2, Channel.CHANNEL_SMS],
      ],
    );
  });

  it("cancelling stops the fallback", async () => {
    const id = await h.issue({ purpose: "transaction" });
    await dispatchOf(id, 1);
    await h.publish(id, {
      $case: "verificationCancelled",
      value: { reason: "user left", by: "tenant:bank-a" },
    });
    await eventually(async () => (await h.timerScore(`${id}|f|1`)) === null, "fallback timer removed");
    assert.equal(await h.timerScore(`${id}|x`), null, "expiry timer removed");
    assert.equal(h.dispatchesOf(id).length, 1);
  });

  it("routing owns expiry: a delivered code nobody checked expires, and is never re-sent", async () => {
    const id = await h.issue({ purpose: "transaction", expiresInMs: 3_000 });
    scripts.set(id, () => [delivered()]);
    const expired = await eventually(
      () => h.eventsOf(id).find((e) => e.event?.$case === "verificationExpired"),
      "expired",
      20_000,
    );
    const started = h.eventsOf(id).find((e) => e.event?.$case === "verificationStarted")!;
    const lived = expired.occurredAt!.getTime() - started.occurredAt!.getTime();
    assert.ok(lived >= 2_000, `expired after ${lived} ms, for a 3 s code (1 s clock tolerance)`);
    await sleep(1_000);
    assert.equal(h.dispatchesOf(id).length, 1);
    assert.equal(await h.timerScore(`${id}|f|1`), null, "the step's timer went with the verification");
  });

  it("a code about to expire is not dispatched again: with nothing delivered, the verification fails", async () => {
    // WhatsApp's 2 s step ends with under a second of code life left: too late for SMS.
    const id = await h.issue({ expiresInMs: 2_900 });
    const end = await eventually(
      () =>
        h
          .eventsOf(id)
          .find((e) => e.event?.$case === "verificationFailed" || e.event?.$case === "verificationExpired"),
      "failed",
      20_000,
    );
    // On a slow machine the expiry timer may win the race with the fallback timer; either way
    // nothing more is sent.
    if (end.event?.$case === "verificationFailed") {
      assert.match(end.event.value.reason, /too soon for another send|has expired/);
    }
    await sleep(500);
    assert.deepEqual(
      h.dispatchesOf(id).map((d) => d.channel),
      [Channel.CHANNEL_WHATSAPP],
    );
  });
});
