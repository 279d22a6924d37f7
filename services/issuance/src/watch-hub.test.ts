/**
 * The watch hub on the in-process bus and store: it follows the event log only while someone
 * watches, tells each watcher what changed, and says when it had to start following.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { StartVerificationRequest } from "@proto/otp/v1/issuance";
import { createVerificationProjection, type VerificationProjection } from "@verification-state/projection";
import { platformFromEnv, type Platform } from "@platform/runtime/platform";
import { EVENT_ROLES } from "@domain/events/ownership";
import type { SubscribeOptions } from "@platform/bus/port";
import type { Issuance } from "./issuance";
import { issuanceOn } from "../test/platform-fixtures";
import { catchUpAfterStart, createWatchHub, describeState, type Watch, type WatchHub } from "./watch-hub";
import { initialState, type VerificationState } from "@domain/verification";
import { Channel, DeliveryStatus } from "@proto/otp/v1/common";

const TENANT = "demo-bank";

describe("watch hub", () => {
  let platform: Platform;
  let issuance: Issuance;
  let projection: VerificationProjection;
  let hub: WatchHub;
  const subscriptions: SubscribeOptions[] = [];

  before(async () => {
    platform = await platformFromEnv({
      events: EVENT_ROLES["all-in-one"],
      service: "watch-hub-test",
      env: {},
      logWrite: () => undefined,
    });
    projection = createVerificationProjection({
      store: platform.store,
      secrets: platform.secrets,
      retentionMs: 3_600_000,
    });
    issuance = issuanceOn(platform, { projection });
    const bus = {
      ...platform.bus,
      subscribe: (options: SubscribeOptions) => {
        subscriptions.push(options);
        return platform.bus.subscribe(options);
      },
    };
    hub = createWatchHub({ bus, topics: platform.topics, projection, logger: platform.logger, idleMs: 50 });
  });
  after(async () => {
    await hub.stop();
    await platform.close();
  });

  const start = async (phone: string) =>
    (
      await issuance.start(
        TENANT,
        StartVerificationRequest.fromPartial({ phone, purpose: "login", locale: "en" }),
      )
    ).state;

  it("follows the log only while someone watches, in a transient group, and tells watchers what changed", async () => {
    const first = await start("+6281234560001");
    assert.equal(hub.following(), false, "nobody watches: nothing reads the log");
    assert.equal(subscriptions.length, 0);

    const heard: string[] = [];
    const watch = hub.watch(first.id, (state, change) => heard.push(`${state.status}: ${change}`));
    assert.equal(await watch.caughtUp, true, "the first watcher started the following");
    assert.equal(hub.following(), true);
    assert.equal(subscriptions.length, 1);
    assert.equal(subscriptions[0]?.transient, true);
    assert.equal(subscriptions[0]?.fromBeginning, false);

    const second = await start("+6281234560002");
    const other = hub.watch(second.id, () => undefined);
    assert.equal(await other.caughtUp, false, "already following: nothing went by");
    other.close();

    await issuance.cancel(TENANT, first.id, "user", "bank");
    await eventuallyTrue(() => heard.length > 0);
    assert.deepEqual(heard, ["cancelled: cancelled"]);

    watch.close();
    assert.equal(hub.following(), true, "stays a moment after the last watcher left");
    await eventuallyTrue(() => !hub.following());
    assert.equal(subscriptions.length, 1);

    // Watched again: a new following, told as a start.
    const third = await start("+6281234560003");
    const again = hub.watch(third.id, () => undefined);
    assert.equal(await again.caughtUp, true);
    assert.equal(subscriptions.length, 2);
    assert.notEqual(subscriptions[1]?.groupId, subscriptions[0]?.groupId);
    again.close();
  });

  it("a watcher arriving while the hub winds down keeps it following", async () => {
    const v = await start("+6281234560004");
    const a = hub.watch(v.id, () => undefined);
    await a.caughtUp;
    a.close();
    const b = hub.watch(v.id, () => undefined);
    assert.equal(await b.caughtUp, false);
    await sleep(120);
    assert.equal(hub.following(), true, "the idle stop was called off");
    b.close();
    await eventuallyTrue(() => !hub.following());
  });
});

describe("a stream's reads after the hub began following for it", () => {
  const first = { ...initialState("ver_AAAAAAAAAAAAAAAAAAAAAA", TENANT), appliedEventIds: ["e1"] };
  const sending = {
    ...first,
    appliedEventIds: ["e1", "e2"],
    attempts: [{ attempt: 1, channel: Channel.CHANNEL_SMS, status: DeliveryStatus.DELIVERY_STATUS_QUEUED }],
  } as VerificationState;
  const cancelled = { ...sending, status: "cancelled" as const, appliedEventIds: ["e1", "e2", "e3"] };
  const watchThat = (started: boolean): Watch => ({
    caughtUp: Promise.resolve(started),
    close: () => undefined,
  });
  /** Reads that answer the given states in turn (the last one again after that). */
  const reads = (...states: VerificationState[]) => {
    let calls = 0;
    return { calls: () => calls, read: async () => states[Math.min(calls++, states.length - 1)]! };
  };
  const told = () => {
    const heard: string[] = [];
    return {
      heard,
      deliver: (s: VerificationState, change: string) => void heard.push(`${s.status}: ${change}`),
    };
  };

  it("tells what moved before the hub joined, and what the projector wrote a moment later, in the events' words", async () => {
    const r = reads(sending, cancelled);
    const t = told();
    await catchUpAfterStart(watchThat(true), () => false, first, r.read, t.deliver, [0, 10]);
    assert.deepEqual(t.heard, ["pending: sending via SMS", "cancelled: cancelled"]);
  });

  it("tells nothing when nothing moved, when the hub was following already, or once an event came", async () => {
    const same = told();
    await catchUpAfterStart(watchThat(true), () => false, first, reads(first).read, same.deliver, [0, 10]);
    assert.deepEqual(same.heard, []);
    const unread = reads(cancelled);
    const following = told();
    await catchUpAfterStart(watchThat(false), () => false, first, unread.read, following.deliver, [0, 10]);
    assert.deepEqual(following.heard, []);
    assert.equal(unread.calls(), 0, "no read when nothing went by");
    const eventCame = told();
    await catchUpAfterStart(
      watchThat(true),
      () => true,
      first,
      reads(cancelled).read,
      eventCame.deliver,
      [0],
    );
    assert.deepEqual(eventCame.heard, []);
  });

  it("words a state as its event would have", () => {
    assert.equal(
      describeState({ ...first, status: "verified", verifiedBy: "network" }),
      "verified by the mobile network",
    );
    assert.equal(describeState({ ...first, status: "locked" }), "too many wrong codes");
    assert.equal(
      describeState({
        ...sending,
        attempts: [{ ...sending.attempts[0]!, status: DeliveryStatus.DELIVERY_STATUS_DELIVERED }],
      }),
      "delivered via SMS",
    );
  });
});

async function eventuallyTrue(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) assert.fail("condition not met in time");
    await sleep(10);
  }
}
