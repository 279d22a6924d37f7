/**
 * Adaptive routing per district over real Kafka and Redis: WhatsApp collapsing in district X
 * puts SMS first there (an automatic incident is declared) while district Y stays on WhatsApp;
 * when WhatsApp recovers in X, X goes back to WhatsApp first, without flapping.
 * Windows are shrunk to seconds (4 s window, 0.5 s buckets, 2 s dwell) so the test is short.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { EventEnvelope } from "@proto/otp/events/v1/events";
import { Channel, HealthState } from "@proto/otp/v1/common";
import { delivered, eventually, hardFailure, type RoutingHarness, startRoutingHarness } from "./harness";

const X = "ID-JK-JU";
const Y = "ID-JB-BDG";

describe("per-district adaptive routing", () => {
  let h: RoutingHarness;
  let whatsappWorksInX = false;

  before(async () => {
    h = await startRoutingHarness("district");
    h.setScript((d) => {
      // Users verify shortly after a code reaches them, so no step runs into voice.
      if (d.channel === Channel.CHANNEL_WHATSAPP && d.district === X && !whatsappWorksInX) {
        // Not 131026: that one is a fact about the user, neutral for health.
        return [hardFailure("WHATSAPP_131000", 20)];
      }
      return [delivered(30, 30)];
    });
    await h.startService({
      settings: {
        health: { windowMs: 4_000, bucketMs: 500, minSamples: 6, minDwellMs: 2_000, cacheMs: 100 },
        routing: { probeShare: 0.3, minRemainingMs: 1_000 },
      },
    });
    await h.ready();
  });
  after(async () => {
    await h.close();
  });

  /** ChannelHealthChanged for WhatsApp as a whole in a district, in order. */
  const whatsappStates = (district: string): HealthState[] =>
    h
      .routingEvents()
      .flatMap((e) => (e.event?.$case === "channelHealthChanged" ? [e.event.value.health!] : []))
      .filter((f) => f.district === district && f.channel === Channel.CHANNEL_WHATSAPP && f.route === "")
      .map((f) => f.state);

  const planOf = (id: string): EventEnvelope | undefined =>
    h.eventsOf(id).find((e) => e.event?.$case === "routePlanned");
  const ruleOf = (id: string): string => {
    const plan = planOf(id);
    return plan?.event?.$case === "routePlanned" ? plan.event.value.rule : "";
  };
  const firstChannel = (id: string) => h.dispatchesOf(id).find((d) => d.attempt === 1)?.channel;

  /** Issues verifications in the districts every 250 ms until `done` holds. */
  async function trafficUntil(districts: string[], done: () => boolean, what: string, timeoutMs = 45_000) {
    const deadline = Date.now() + timeoutMs;
    const ids: Record<string, string[]> = Object.fromEntries(districts.map((d) => [d, []]));
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
      for (const district of districts) {
        for (let i = 0; i < 2; i++) ids[district]!.push(await h.issue({ district }));
      }
      await sleep(250);
    }
    return ids;
  }

  async function issueAndPlan(district: string, count: number): Promise<string[]> {
    const ids = await Promise.all(Array.from({ length: count }, () => h.issue({ district })));
    await eventually(() => ids.every((id) => firstChannel(id) !== undefined), `${district} first dispatches`);
    return ids;
  }

  it("WhatsApp failing in X puts SMS first in X only, then recovery brings WhatsApp back", async () => {
    await trafficUntil(
      [X, Y],
      () => whatsappStates(X).includes(HealthState.HEALTH_STATE_DOWN),
      "WhatsApp down in X",
    );
    // The transition is on the log once it is stored; a routing decision may still use figures
    // read up to cacheMs (100 ms) before it.
    await sleep(300);

    const inX = await issueAndPlan(X, 12);
    const inY = await issueAndPlan(Y, 12);
    const reordered = inX.filter((id) => ruleOf(id) === "district-reorder:whatsapp-down");
    const probes = inX.filter((id) => ruleOf(id) === "district-probe:whatsapp-down");
    assert.equal(reordered.length + probes.length, inX.length, inX.map(ruleOf).join(", "));
    assert.ok(reordered.length > 0, "some verifications in X were reordered");
    for (const id of reordered) assert.equal(firstChannel(id), Channel.CHANNEL_SMS);
    for (const id of probes) assert.equal(firstChannel(id), Channel.CHANNEL_WHATSAPP);
    for (const id of inY) {
      assert.equal(ruleOf(id), "workflow:login/medium");
      assert.equal(firstChannel(id), Channel.CHANNEL_WHATSAPP);
    }
    assert.ok(!whatsappStates(Y).includes(HealthState.HEALTH_STATE_DOWN), "Y never went down");

    const declared = await eventually(
      () =>
        h
          .routingEvents()
          .find((e) => e.event?.$case === "incidentDeclared" && e.event.value.incident?.district === X),
      "automatic incident in X",
    );
    assert.ok(declared.event?.$case === "incidentDeclared");
    assert.equal(declared.event.value.incident?.automatic, true);
    assert.deepEqual(declared.event.value.incident?.channels, [Channel.CHANNEL_WHATSAPP]);

    // WhatsApp works again in X: probes see it, the failures age out of the window.
    whatsappWorksInX = true;
    await trafficUntil(
      [X],
      () => whatsappStates(X).at(-1) === HealthState.HEALTH_STATE_HEALTHY,
      "WhatsApp healthy in X",
      60_000,
    );
    await eventually(
      () =>
        h
          .routingEvents()
          .some(
            (e) =>
              e.event?.$case === "incidentResolved" && e.event.value.incidentId === declared.verificationId,
          ),
      "automatic incident resolved",
    );
    const back = await issueAndPlan(X, 8);
    for (const id of back) {
      assert.equal(ruleOf(id), "workflow:login/medium");
      assert.equal(firstChannel(id), Channel.CHANNEL_WHATSAPP);
    }

    // More traffic: the state holds. Down once, then only better: no flapping.
    await trafficUntil(
      [X],
      (() => {
        const until = Date.now() + 3_000;
        return () => Date.now() > until;
      })(),
      "steady traffic",
    );
    const states = whatsappStates(X);
    const down = states.indexOf(HealthState.HEALTH_STATE_DOWN);
    assert.equal(states.lastIndexOf(HealthState.HEALTH_STATE_DOWN), down, `states ${states.join(",")}`);
    const after = states.slice(down + 1);
    assert.deepEqual(
      after.filter((s) => s !== HealthState.HEALTH_STATE_DEGRADED && s !== HealthState.HEALTH_STATE_HEALTHY),
      [],
    );
    assert.ok(after.length <= 2, `states after recovery ${after.join(",")}`);
  });
});
