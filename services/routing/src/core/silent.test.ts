/**
 * The silent step in the routing core, given/when/then: it runs first or not at all, the
 * network's answer verifies or falls back at once, and its outcomes are health samples.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultRoutesTable } from "../routes-config";
import { type DecideContext, handleCommand, initialRoutingState } from "./routing-aggregate";
import type {
  HealthView,
  RoutingCommand,
  RoutingEvent,
  RoutingState,
  VerificationFacts,
  Workflow,
} from "./types";
import { DEFAULT_ROUTING_SETTINGS } from "./types";

const T0 = 1_767_225_600_000;
const sealed = { keyId: "k1", iv: Buffer.alloc(12), ciphertext: Buffer.from("x"), tag: Buffer.alloc(16) };
const facts: VerificationFacts = {
  purpose: "login_silent",
  riskTier: "medium",
  district: "ID-JB-BDG",
  operator: "id-telkomsel",
  country: "ID",
  locale: "id",
  maskedPhone: "+62812****5678",
  phone: sealed,
  code: sealed,
  transaction: undefined,
  expiresAt: T0 + 300_000,
  maxSends: 5,
  codePerAttempt: false,
};
const SILENT_FIRST: Workflow = {
  name: "silent_first",
  steps: [
    { channel: "silent", route: "telkomsel-og", timeoutSeconds: 10, advanceWhen: "not_delivered" },
    { channel: "whatsapp", timeoutSeconds: 20, advanceWhen: "not_delivered" },
    { channel: "sms", timeoutSeconds: 30, advanceWhen: "not_verified" },
  ],
};
const silentDown: HealthView = {
  channels: {
    silent: {
      channel: "silent",
      route: "",
      district: "ID-JB-BDG",
      operator: "",
      deliveryRate: 0.1,
      conversionRate: 0,
      p50Ms: 9_000,
      p95Ms: 10_000,
      sampleSize: 30,
      state: "down",
    },
  },
  routes: {},
};
const ctx = (now: number, health: HealthView = { channels: {}, routes: {} }): DecideContext => ({
  now,
  health,
  incidents: [],
  routes: defaultRoutesTable(),
  settings: { ...DEFAULT_ROUTING_SETTINGS, probeShare: 0 },
});

let n = 0;
const network = (verified: boolean, reason = ""): RoutingCommand => ({
  type: "NetworkResult",
  inputId: `net-${n++}`,
  verified,
  reason,
  at: T0 + 2_000,
});

function run(commands: [RoutingCommand, DecideContext][]): { state: RoutingState; events: RoutingEvent[] } {
  let state = initialRoutingState("ver_silent");
  let events: RoutingEvent[] = [];
  for (const [command, c] of commands) {
    const handled = handleCommand(state, command, c);
    state = handled.state;
    events = handled.events;
  }
  return { state, events };
}

const started: [RoutingCommand, DecideContext] = [
  { type: "Start", inputId: "start", tenant: "bank-a", facts, workflow: SILENT_FIRST },
  ctx(T0),
];

describe("silent step in routing", () => {
  it("given a silent-first workflow, the first dispatch is silent on the operator's gateway", () => {
    const { events } = run([started]);
    const dispatch = events.find((e) => e.type === "DispatchRequested");
    assert.equal(dispatch?.type === "DispatchRequested" && dispatch.channel, "silent");
    assert.equal(dispatch?.type === "DispatchRequested" && dispatch.route, "telkomsel-og");
  });

  it("when silent is down in the district, it is left out of the plan rather than moved back", () => {
    const { events } = run([[started[0], ctx(T0, silentDown)]]);
    const planned = events.find((e) => e.type === "RoutePlanned");
    assert.ok(planned?.type === "RoutePlanned");
    assert.deepEqual(
      planned.steps.map((s) => s.channel),
      ["whatsapp", "sms"],
    );
    assert.equal(planned.decision.rule, "district-skip:silent-down");
    assert.match(planned.decision.reason, /silent down in ID-JB-BDG/);
  });

  it("under an incident on silent in the district, it is left out and the plan names the incident", () => {
    const c = { ...ctx(T0), incidents: [{ incidentId: "inc_42", channels: ["silent" as const] }] };
    const { events } = run([[started[0], c]]);
    const planned = events.find((e) => e.type === "RoutePlanned");
    assert.ok(planned?.type === "RoutePlanned");
    assert.deepEqual(
      planned.steps.map((s) => s.channel),
      ["whatsapp", "sms"],
    );
    assert.equal(planned.decision.rule, "incident-skip:silent");
    assert.match(planned.decision.reason, /^incident inc_42 on silent, not tried: whatsapp → sms/);
    const dispatch = events.find((e) => e.type === "DispatchRequested");
    assert.equal(dispatch?.type === "DispatchRequested" && dispatch.channel, "whatsapp");
  });

  it("a probe keeps silent first where it is down, and says it is probing", () => {
    const c = { ...ctx(T0, silentDown), settings: { ...DEFAULT_ROUTING_SETTINGS, probeShare: 1 } };
    const { events } = run([[started[0], c]]);
    const planned = events.find((e) => e.type === "RoutePlanned");
    assert.ok(planned?.type === "RoutePlanned");
    assert.equal(planned.steps[0]?.channel, "silent");
    assert.equal(planned.decision.rule, "district-probe:silent-down");
    assert.match(
      planned.decision.reason,
      /probing whether silent recovered in ID-JB-BDG \(100% of verifications\)/,
    );
  });

  it("once silent is no longer down in the district, it is first again by the workflow", () => {
    const recovered: HealthView = {
      channels: {
        silent: { ...silentDown.channels.silent!, deliveryRate: 0.8, p95Ms: 2_000, state: "degraded" },
      },
      routes: {},
    };
    const { events } = run([[started[0], ctx(T0, recovered)]]);
    const planned = events.find((e) => e.type === "RoutePlanned");
    assert.ok(planned?.type === "RoutePlanned");
    assert.equal(planned.steps[0]?.channel, "silent");
    assert.equal(planned.decision.rule, "workflow:login_silent/medium");
  });

  it("when the network verifies, the verification ends verified with a delivered sample", () => {
    const { events, state } = run([started, [network(true), ctx(T0 + 2_000)]]);
    assert.equal(state.status, "verified");
    const recorded = events.find((e) => e.type === "ReceiptRecorded");
    assert.deepEqual(recorded?.type === "ReceiptRecorded" && recorded.sample, {
      kind: "delivered",
      latencyMs: 2_000,
    });
    assert.ok(events.some((e) => e.type === "ConversionRecorded" && e.attempt === 1));
    assert.ok(!events.some((e) => e.type === "DispatchRequested"));
  });

  it("when the number does not match, WhatsApp goes at once as a hard failure, and health saw the channel work", () => {
    const { events, state } = run([started, [network(false, "SILENT_NUMBER_MISMATCH"), ctx(T0 + 2_000)]]);
    const fallback = events.find((e) => e.type === "FallbackTriggered");
    assert.equal(fallback?.type === "FallbackTriggered" && fallback.reason, "hard_failure");
    const next = events.find((e) => e.type === "DispatchRequested");
    assert.equal(next?.type === "DispatchRequested" && next.channel, "whatsapp");
    const recorded = events.find((e) => e.type === "ReceiptRecorded");
    assert.equal(recorded?.type === "ReceiptRecorded" && recorded.sample?.kind, "delivered");
    assert.equal(state.attempts[0]?.outcome, "failed");
  });

  it("when the device was not on mobile data, the fallback is at once and health counts a failure", () => {
    const { events } = run([started, [network(false, "SILENT_NO_MOBILE_DATA"), ctx(T0 + 2_000)]]);
    const recorded = events.find((e) => e.type === "ReceiptRecorded");
    assert.equal(recorded?.type === "ReceiptRecorded" && recorded.sample?.kind, "failed");
    assert.ok(events.some((e) => e.type === "DispatchRequested" && e.channel === "whatsapp"));
  });

  it("a resend never picks silent again", () => {
    const { events } = run([
      started,
      [network(false, "SILENT_NO_MOBILE_DATA"), ctx(T0 + 2_000)],
      [{ type: "Resend", inputId: "resend", channel: "silent" }, ctx(T0 + 40_000)],
    ]);
    const dispatch = events.find((e) => e.type === "DispatchRequested");
    assert.ok(dispatch?.type === "DispatchRequested" && dispatch.channel !== "silent");
  });
});
