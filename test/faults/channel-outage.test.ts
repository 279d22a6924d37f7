/**
 * Channels failing outside the platform, end to end:
 * - WhatsApp collapses in one district (a blackout there: Meta accepts, the phones never get it),
 *   driven through the WhatsApp simulator's scenario API. Verifications there fall back to SMS
 *   and verify; routing's health marks WhatsApp down in that district (GetChannelHealth) and puts
 *   SMS first there, while the other district keeps WhatsApp; once the outage ends, the probes
 *   that still try WhatsApp there bring it back to healthy and WhatsApp first again.
 * - The voice provider answers 5xx: a short burst is ridden out by the connector's retries (one
 *   call, never two); a lasting one fails the attempt as transient, and the step's timer falls
 *   back to the next channel. Nothing lost, no call placed twice.
 * Health windows are shrunk to seconds, as the steps' timeouts are.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Channel } from "@proto/otp/v1/common";
import { inboxOf } from "@services/all-in-one/src/inbox-server";
import { isProbe } from "@services/routing/src/core/plan-route";
import { DEFAULT_ROUTING_SETTINGS } from "@services/routing/src/core/types";
import { firstDispatchOf, healthReader, putScenario, type HealthReader } from "./channel-health";
import { POLICY, startFaultStack, type FaultStack } from "./fault-stack";
import { assertNothingLost } from "./invariants";
import { eventually, runLoad, type Accepted, type LoadOptions } from "./load";
import { smscControl } from "./sms-checks";

/** The blacked-out district, the one next to it, and one for the voice tests. */
const DARK = { districtHint: "ID-JB-BDG", phonePrefix: "+62813" };
const LIT = { districtHint: "ID-JK-JKS", phonePrefix: "+62812" };
const CALLED = { districtHint: "ID-JT-SMG", phonePrefix: "+62815" };

const PROBE_SHARE = 0.5;
const ROUTING = {
  health: { windowMs: 12_000, bucketMs: 1_000, minSamples: 4, minDwellMs: 3_000, cacheMs: 200 },
  routing: { probeShare: PROBE_SHARE },
};
const WORKFLOW = [
  { channel: "whatsapp", timeoutSeconds: 5, advanceWhen: "not_delivered" },
  { channel: "sms", timeoutSeconds: 5, advanceWhen: "not_delivered" },
  { channel: "voice", timeoutSeconds: 8, advanceWhen: "not_verified" },
];

let stack: FaultStack;
let health: HealthReader;
before(async () => {
  stack = await startFaultStack("channels", {
    policy: { ...POLICY, default: { ...POLICY.default, workflows: { default: WORKFLOW } } },
    routing: ROUTING,
  });
  health = healthReader(stack);
});
after(async () => {
  health?.close();
  await stack?.close();
});

const sims = () => stack.app.simulators;
const whatsappIn = (where: typeof DARK) => health.stateOf(where.districtHint, Channel.CHANNEL_WHATSAPP);
const load = (where: typeof DARK, opts: Partial<LoadOptions> = {}) =>
  runLoad(stack, { count: 8, perSecond: 8, ...where, ...opts });
const probes = (accepted: readonly Accepted[]) =>
  // A share above the quiet-district maximum stays as it is, whatever the district's traffic.
  accepted.filter((v) =>
    isProbe(
      v.verificationId,
      { ...DEFAULT_ROUTING_SETTINGS, probeShare: PROBE_SHARE },
      { channels: {}, routes: {} },
    ),
  );
const channelsOn = (v: Accepted) => new Set(inboxOf(sims(), v.phone).map((m) => m.channel));

it("WhatsApp dark in one district: SMS there, WhatsApp next door, health down then back", async (t) => {
  await putScenario(sims().whatsapp.url, {
    districts: { dark: [DARK.phonePrefix.slice(1)] },
    outages: [{ district: "dark", effect: "no-delivery" }],
  });
  const [dark, lit] = await Promise.all([load(DARK, { count: 10 }), load(LIT, { count: 10 })]);
  await assertNothingLost(stack, [...dark.accepted, ...lit.accepted]);
  for (const v of dark.accepted)
    assert.ok(!channelsOn(v).has("whatsapp"), `WhatsApp reached ${v.verificationId}`);
  for (const v of lit.accepted) assert.deepEqual([...channelsOn(v)], ["whatsapp"], v.verificationId);

  await eventually("WhatsApp down in the dark district", async () => (await whatsappIn(DARK)) === "DOWN");

  // While it is down there, SMS goes first, but for the share of verifications that probe it.
  const during = await load(DARK);
  await assertNothingLost(stack, during.accepted);
  const probing = new Set(probes(during.accepted).map((v) => v.verificationId));
  for (const v of during.accepted) {
    const first = firstDispatchOf(stack, v.verificationId);
    const expected = probing.has(v.verificationId)
      ? { channel: "whatsapp", rule: "district-probe:whatsapp-down" }
      : { channel: "sms", rule: "district-reorder:whatsapp-down" };
    assert.deepEqual(first, expected, v.verificationId);
  }
  const stillLit = await load(LIT, { count: 4 });
  await assertNothingLost(stack, stillLit.accepted);
  for (const v of stillLit.accepted)
    assert.equal(firstDispatchOf(stack, v.verificationId).channel, "whatsapp");
  assert.equal(await whatsappIn(LIT), "HEALTHY", "next door WhatsApp works");

  // The outage ends: the probes see WhatsApp deliver, health comes back by itself.
  await putScenario(sims().whatsapp.url, {});
  const recovering: Accepted[] = [];
  await eventually(
    "WhatsApp healthy again in the district",
    async () => {
      recovering.push(...(await load(DARK, { count: 2, perSecond: 4 })).accepted);
      await sleep(1_000);
      return (await whatsappIn(DARK)) === "HEALTHY";
    },
    90_000,
  );
  t.diagnostic(`verifications while recovering: ${recovering.length}`);
  await assertNothingLost(stack, recovering);
  const afterwards = await load(DARK, { count: 4 });
  await assertNothingLost(stack, afterwards.accepted);
  for (const v of afterwards.accepted)
    assert.deepEqual(firstDispatchOf(stack, v.verificationId), {
      channel: "whatsapp",
      rule: "workflow:login/medium",
    });
});

it("voice provider answering 5xx for a moment: retried, one call each, verified by voice", async () => {
  // WhatsApp and SMS do not reach these numbers: voice is what is left.
  await blackOut(CALLED.phonePrefix);
  const before = sims().voice.stats();
  // Fewer failures than the connector's attempts (3): its retry gets through.
  await putScenario(sims().voice.url, { failFirst: { count: 2, httpStatus: 503, code: 20500 } });
  const called = await load(CALLED, { count: 4, perSecond: 4 });
  await assertNothingLost(stack, called.accepted);
  for (const v of called.accepted) {
    const calls = inboxOf(sims(), v.phone).filter((m) => m.channel === "voice");
    assert.equal(calls.length, 1, `one call for ${v.verificationId}`);
  }
  const after = sims().voice.stats();
  assert.equal(
    (after.rejected["20500"] ?? 0) - (before.rejected["20500"] ?? 0),
    2,
    "the provider answered 5xx",
  );
  assert.equal(
    after.created - before.created,
    called.accepted.length,
    "one call per verification, none twice",
  );
  await lightsOn();
});

it("voice provider down (5xx) when it goes first: the attempt fails, the timer falls back, nothing called", async () => {
  const before = sims().voice.stats();
  await putScenario(sims().voice.url, { outages: [{ effect: "api-error", httpStatus: 503 }] });
  const fellBack = await load(CALLED, { count: 4, perSecond: 4, channelPreference: Channel.CHANNEL_VOICE });
  await assertNothingLost(stack, fellBack.accepted);
  for (const v of fellBack.accepted) {
    assert.equal(firstDispatchOf(stack, v.verificationId).channel, "voice");
    assert.ok(!channelsOn(v).has("voice"), `no call reached ${v.verificationId}`);
  }
  assert.equal(sims().voice.stats().created, before.created, "no call was created");
  await putScenario(sims().voice.url, {});
  // The provider back: voice first works again.
  const again = await load(CALLED, { count: 2, perSecond: 4, channelPreference: Channel.CHANNEL_VOICE });
  await assertNothingLost(stack, again.accepted);
  for (const v of again.accepted) assert.deepEqual([...channelsOn(v)], ["voice"], v.verificationId);
});

/** WhatsApp and SMS never reach numbers under `prefix` (the SMSC refuses them, 0x45); voice does. */
async function blackOut(prefix: string): Promise<void> {
  const digits = prefix.slice(1);
  const hour = {
    from: new Date(Date.now() - 60_000).toISOString(),
    to: new Date(Date.now() + 3_600_000).toISOString(),
  };
  await putScenario(sims().whatsapp.url, { outages: [{ prefix: digits, effect: "no-delivery" }] });
  await smscControl(stack).scenario({ outages: [{ prefix: digits, ...hour, effect: "submit-fail" }] });
}

async function lightsOn(): Promise<void> {
  await Promise.all([putScenario(sims().whatsapp.url, {}), putScenario(sims().voice.url, {})]);
  await smscControl(stack).scenario({});
}
