/**
 * The routing aggregate, given/when/then on plain data: given the events so far (as commands
 * handled in order), when a command arrives, then these events.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultRoutesTable } from "../routes-config";
import { type DecideContext, handleCommand, initialRoutingState } from "./routing-aggregate";
import { stableFraction } from "./fraction";
import type {
  HealthFigures,
  HealthView,
  RoutingCommand,
  RoutingEvent,
  RoutingState,
  VerificationFacts,
  Workflow,
} from "./types";
import { DEFAULT_ROUTING_SETTINGS } from "./types";

const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const sealed = (tag: string) => ({
  keyId: "k1",
  iv: Buffer.alloc(12),
  ciphertext: Buffer.from(tag),
  tag: Buffer.alloc(16),
});

const DEFAULT_WORKFLOW: Workflow = {
  name: "default",
  steps: [
    { channel: "whatsapp", timeoutSeconds: 20, advanceWhen: "not_delivered" },
    { channel: "sms", timeoutSeconds: 30, advanceWhen: "not_verified" },
    { channel: "voice", timeoutSeconds: 60, advanceWhen: "not_verified" },
  ],
};

function facts(overrides: Partial<VerificationFacts> = {}): VerificationFacts {
  return {
    purpose: "login",
    riskTier: "medium",
    district: "ID-JK-JS",
    operator: "id-telkomsel",
    country: "ID",
    locale: "id",
    maskedPhone: "+62812****5678",
    phone: sealed("phone"),
    code: sealed("code"),
    transaction: undefined,
    expiresAt: T0 + 300_000,
    maxSends: 5,
    codePerAttempt: false,
    ...overrides,
  };
}

const emptyHealth = (): HealthView => ({ channels: {}, routes: {} });

function figures(
  channel: HealthFigures["channel"],
  state: HealthFigures["state"],
  extra: Partial<HealthFigures> = {},
) {
  return {
    channel,
    route: "",
    district: "ID-JK-JS",
    operator: "",
    deliveryRate: state === "down" ? 0.1 : 0.97,
    conversionRate: 0.5,
    p50Ms: 1_500,
    p95Ms: 4_000,
    sampleSize: 40,
    state,
    ...extra,
  };
}

function ctx(now: number, overrides: Partial<DecideContext> = {}): DecideContext {
  return {
    now,
    health: emptyHealth(),
    incidents: [],
    routes: defaultRoutesTable(),
    settings: DEFAULT_ROUTING_SETTINGS,
    ...overrides,
  };
}

let inputs = 0;
const start = (f = facts(), workflow = DEFAULT_WORKFLOW): RoutingCommand => ({
  type: "Start",
  inputId: `in-${inputs++}`,
  tenant: "bank-a",
  facts: f,
  workflow,
});
const receipt = (attempt: number, status: string, failureClass = "unspecified", at = T0): RoutingCommand => ({
  type: "RecordReceipt",
  inputId: `in-${inputs++}`,
  receipt: {
    attempt,
    status: status as never,
    failureClass: failureClass as never,
    reason: `R_${status}`,
    at,
  },
});
const fallbackDue = (attempt: number): RoutingCommand => ({
  type: "FallbackDue",
  inputId: `ver|f|${attempt}`,
  attempt,
});

/** Handles commands in order, each at its own time; returns the final state and the last events. */
function given(
  steps: [number, RoutingCommand][],
  context: (now: number) => DecideContext = (now) => ctx(now),
  id = "ver_test",
): { state: RoutingState; last: RoutingEvent[] } {
  let state = initialRoutingState(id);
  let last: RoutingEvent[] = [];
  for (const [now, command] of steps) {
    const handled = handleCommand(state, command, context(now));
    state = handled.state;
    last = handled.events;
  }
  return { state, last };
}

const types = (events: RoutingEvent[]) => events.map((e) => e.type).filter((t) => t !== "InputApplied");
const dispatches = (events: RoutingEvent[]) =>
  events.filter(
    (e): e is Extract<RoutingEvent, { type: "DispatchRequested" }> => e.type === "DispatchRequested",
  );

describe("routing aggregate", () => {
  it("start: plans the workflow, dispatches attempt 1 on WhatsApp, fallback due after the step timeout", () => {
    const { state, last } = given([[T0, start()]]);
    assert.deepEqual(types(last), ["RoutePlanned", "DispatchRequested"]);
    const [first] = dispatches(last);
    assert.equal(first?.attempt, 1);
    assert.equal(first?.channel, "whatsapp");
    assert.equal(first?.route, "whatsapp");
    assert.equal(first?.dueAt, T0 + 20_000);
    assert.equal(state.decisions[0]?.rule, "workflow:login/medium");
    assert.equal(state.status, "active");
  });

  it("no delivery receipt before the timer: falls back to SMS on the operator's direct route", () => {
    const { last } = given([
      [T0, start()],
      [T0 + 20_000, fallbackDue(1)],
    ]);
    assert.deepEqual(types(last), ["AttemptTimedOut", "FallbackTriggered", "DispatchRequested"]);
    const timedOut = last[0] as Extract<RoutingEvent, { type: "AttemptTimedOut" }>;
    assert.deepEqual(
      timedOut.sample,
      { kind: "failed" },
      "an undelivered step counts against WhatsApp's health",
    );
    const [sms] = dispatches(last);
    assert.equal(sms?.channel, "sms");
    assert.equal(sms?.route, "id-telkomsel-direct");
    assert.equal(sms?.attempt, 2);
    assert.equal(sms?.cause, "timeout");
    assert.match(sms?.decision.rule ?? "", /^fallback:timeout route:weighted$/);
  });

  it("delivered before the timer: the WhatsApp step stands, the timer does nothing", () => {
    const { last } = given([
      [T0, start()],
      [T0 + 2_000, receipt(1, "delivered", "unspecified", T0 + 1_800)],
      [T0 + 20_000, fallbackDue(1)],
    ]);
    assert.deepEqual(last, []);
  });

  it("a hard failure advances at once; a transient one waits for the timer", () => {
    const permanent = given([
      [T0, start()],
      [T0 + 1_000, receipt(1, "failed", "permanent")],
    ]);
    assert.deepEqual(types(permanent.last), ["ReceiptRecorded", "FallbackTriggered", "DispatchRequested"]);
    assert.equal(dispatches(permanent.last)[0]?.cause, "hard_failure");

    const unknown = given([
      [T0, start()],
      [T0 + 1_000, receipt(1, "failed", "unknown")],
    ]);
    assert.equal(dispatches(unknown.last)[0]?.channel, "sms", "an SMPP response timeout is not waited out");

    const transient = given([
      [T0, start()],
      [T0 + 1_000, receipt(1, "failed", "transient")],
    ]);
    assert.deepEqual(types(transient.last), ["ReceiptRecorded"]);
  });

  it("a late receipt of an earlier attempt is recorded but never re-sends", () => {
    const { state, last } = given([
      [T0, start()],
      [T0 + 20_000, fallbackDue(1)],
      [T0 + 25_000, receipt(1, "failed", "permanent")],
    ]);
    assert.deepEqual(types(last), ["ReceiptRecorded"]);
    assert.equal((last[0] as { late: boolean }).late, true);
    assert.equal(state.attempts.length, 2);
  });

  it("a timer that fires again after its step advanced is a no-op, and so is a redelivered input", () => {
    const s1 = given([
      [T0, start()],
      [T0 + 20_000, fallbackDue(1)],
    ]).state;
    assert.deepEqual(handleCommand(s1, fallbackDue(1), ctx(T0 + 26_000)).events, []);
    const failed = receipt(2, "failed", "permanent");
    const s2 = handleCommand(s1, failed, ctx(T0 + 21_000)).state;
    assert.deepEqual(handleCommand(s2, failed, ctx(T0 + 21_500)).events, []);
  });

  it("voice is the last resort, and verifying cancels the ringing call", () => {
    const { state } = given([
      [T0, start()],
      [T0 + 20_000, fallbackDue(1)],
      [T0 + 50_000, fallbackDue(2)],
    ]);
    assert.equal(state.attempts[2]?.channel, "voice");
    const verified: RoutingCommand = {
      type: "Finish",
      inputId: "checked",
      outcome: "verified",
      matchedAttempt: 2,
    };
    const { events, state: after } = handleCommand(state, verified, ctx(T0 + 52_000));
    assert.deepEqual(types(events), ["ConversionRecorded", "DispatchCancelled", "VerificationEnded"]);
    // The SMS had no receipt: the conversion says it was delivered. WhatsApp's timeout counted already.
    assert.deepEqual(events[0], {
      type: "ConversionRecorded",
      at: T0 + 52_000,
      attempt: 2,
      evidence: [{ attempt: 2, sample: { kind: "delivered", latencyMs: 32_000 } }],
    });
    assert.equal((events[1] as { attempt: number }).attempt, 3);
    assert.equal(after.status, "verified");
    assert.deepEqual(handleCommand(after, fallbackDue(3), ctx(T0 + 110_000)).events, []);
  });

  it("an answered call is not cancelled", () => {
    const { state } = given([
      [T0, start()],
      [T0 + 20_000, fallbackDue(1)],
      [T0 + 50_000, fallbackDue(2)],
      [T0 + 55_000, receipt(3, "delivered")],
    ]);
    const { events } = handleCommand(
      state,
      { type: "Finish", inputId: "c", outcome: "cancelled" },
      ctx(T0 + 56_000),
    );
    assert.deepEqual(types(events), ["VerificationEnded"]);
  });

  it("every step failed: VerificationFailed", () => {
    const { state, last } = given([
      [T0, start()],
      [T0 + 1_000, receipt(1, "failed", "permanent")],
      [T0 + 2_000, receipt(2, "expired")],
      [T0 + 3_000, receipt(3, "failed", "permanent")],
    ]);
    assert.deepEqual(types(last), ["ReceiptRecorded", "VerificationFailed"]);
    assert.equal(state.status, "failed");
  });

  it("plan exhausted with an earlier code delivered: routing stops and waits for the check", () => {
    const { state, last } = given([
      [T0, start()],
      [T0 + 20_000, fallbackDue(1)],
      [T0 + 21_000, receipt(2, "delivered")],
      [T0 + 50_000, fallbackDue(2)],
      [T0 + 52_000, receipt(3, "failed", "permanent")],
    ]);
    assert.deepEqual(types(last), ["ReceiptRecorded", "RoutingStopped"]);
    assert.equal(state.status, "active");
  });

  it("an outcome nobody knows on the last step: routing stops and waits, the SMS may still arrive", () => {
    const smsOnly: Workflow = {
      name: "sms-only",
      steps: [{ channel: "sms", timeoutSeconds: 30, advanceWhen: "not_verified" }],
    };
    const { state, last } = given([
      [T0, start(facts(), smsOnly)],
      [T0 + 10_000, receipt(1, "failed", "unknown")],
    ]);
    assert.deepEqual(types(last), ["ReceiptRecorded", "RoutingStopped"]);
    assert.equal(state.status, "active");
    assert.equal(state.attempts[0]?.outcome, "in_doubt");
    // A repeated report of the same outcome changes nothing; a later delivery receipt still counts.
    assert.equal(
      handleCommand(state, receipt(1, "failed", "unknown"), ctx(T0 + 11_000)).state.attempts[0]?.outcome,
      "in_doubt",
    );
    const delivered = handleCommand(state, receipt(1, "delivered"), ctx(T0 + 12_000)).state;
    assert.equal(delivered.attempts[0]?.outcome, "delivered");
    // A permanent failure after all: nothing can reach the user any more.
    const failed = handleCommand(state, receipt(1, "failed", "permanent"), ctx(T0 + 12_000));
    assert.deepEqual(types(failed.events), ["ReceiptRecorded", "VerificationFailed"]);
  });

  it("an attempt in doubt is never resent on its route", () => {
    const twoSms: Workflow = {
      name: "sms-twice",
      steps: [
        { channel: "sms", timeoutSeconds: 30, advanceWhen: "not_verified" },
        { channel: "sms", timeoutSeconds: 30, advanceWhen: "not_verified" },
      ],
    };
    const { state, last } = given([
      [T0, start(facts(), twoSms)],
      [T0 + 10_000, receipt(1, "failed", "unknown")],
    ]);
    const [second] = dispatches(last);
    assert.equal(second?.channel, "sms");
    assert.notEqual(second?.route, state.attempts[0]?.route, "the second SMS avoids the route in doubt");
  });

  it("never dispatches a code about to expire; the expiry timer expires the verification", () => {
    const f = facts({ expiresAt: T0 + 22_000 });
    const { last, state } = given([
      [T0, start(f)],
      [T0 + 20_000, fallbackDue(1)],
    ]);
    assert.deepEqual(types(last), ["AttemptTimedOut", "VerificationFailed"]);
    assert.match((last[1] as { reason: string }).reason, /expires in 2 s/);
    assert.equal(dispatches(last).length, 0);
    assert.equal(state.status, "failed");

    const open = given([[T0, start(f)]]).state;
    assert.deepEqual(handleCommand(open, { type: "ExpiryDue", inputId: "x" }, ctx(T0 + 10_000)).events, []);
    const expired = handleCommand(open, { type: "ExpiryDue", inputId: "x" }, ctx(T0 + 22_000));
    assert.deepEqual(types(expired.events), ["VerificationExpired"]);
  });

  it("the sends cap bounds dispatches, resends included", () => {
    const { state, last } = given([
      [T0, start(facts({ maxSends: 2 }))],
      [T0 + 20_000, fallbackDue(1)],
      [T0 + 21_000, { type: "Resend", inputId: "r1", channel: "voice" }],
    ]);
    assert.equal(state.attempts.length, 2);
    assert.deepEqual(types(last), ["RoutingStopped"]);
    assert.match(state.stoppedReason, /sends cap of 2/);
  });

  it("a resend goes out on the requested channel, with the new code, through the same engine", () => {
    const { last } = given([
      [T0, start()],
      [T0 + 35_000, { type: "Resend", inputId: "r1", channel: "sms", newCode: sealed("code-2") }],
    ]);
    assert.deepEqual(types(last), ["CodeReplaced", "FallbackTriggered", "DispatchRequested"]);
    const [sms] = dispatches(last);
    assert.equal(sms?.channel, "sms");
    assert.equal(sms?.cause, "user_request");
    assert.equal(sms.code!.ciphertext.toString(), "code-2");
    assert.match(sms?.decision.rule ?? "", /^resend:requested /);
  });

  it("a resend on a channel the workflow excludes goes to the healthiest allowed channel", () => {
    const highRisk: Workflow = {
      name: "high_risk",
      steps: [
        { channel: "whatsapp", timeoutSeconds: 20, advanceWhen: "not_delivered" },
        { channel: "sms", timeoutSeconds: 90, advanceWhen: "not_verified" },
      ],
    };
    const health: HealthView = {
      channels: { whatsapp: figures("whatsapp", "degraded"), sms: figures("sms", "healthy") },
      routes: {},
    };
    const { last } = given(
      [
        [T0, start(facts({ purpose: "transaction", riskTier: "high" }), highRisk)],
        [T0 + 35_000, { type: "Resend", inputId: "r1", channel: "voice" }],
      ],
      (now) => ctx(now, { health }),
    );
    const [sent] = dispatches(last);
    assert.equal(sent?.channel, "sms");
    assert.match(sent?.decision.rule ?? "", /^resend:not-in-workflow /);
  });
});

describe("planning by district health", () => {
  const whatsappDown: HealthView = {
    channels: { whatsapp: figures("whatsapp", "down"), sms: figures("sms", "healthy") },
    routes: {},
  };
  const idWhere = (probe: boolean) => {
    for (let i = 0; ; i++) {
      const id = `ver_${i}`;
      if (stableFraction(`probe:${id}`) < DEFAULT_ROUTING_SETTINGS.probeShare === probe) return id;
    }
  };

  it("WhatsApp down in the district: SMS first, voice stays last", () => {
    const { state, last } = given(
      [[T0, start()]],
      (now) => ctx(now, { health: whatsappDown }),
      idWhere(false),
    );
    assert.deepEqual(
      state.steps.map((s) => s.channel),
      ["sms", "whatsapp", "voice"],
    );
    assert.equal(dispatches(last)[0]?.channel, "sms");
    assert.equal(state.decisions[0]?.rule, "district-reorder:whatsapp-down");
    assert.match(state.decisions[0]?.reason ?? "", /whatsapp in ID-JK-JS: delivered 10% of 40/);
    assert.deepEqual(
      state.decisions[0]?.health.map((h) => h.channel),
      ["sms", "whatsapp"],
    );
  });

  it("a small share of verifications still tries the down channel first, to see it recover", () => {
    const { state } = given([[T0, start()]], (now) => ctx(now, { health: whatsappDown }), idWhere(true));
    assert.deepEqual(
      state.steps.map((s) => s.channel),
      ["whatsapp", "sms", "voice"],
    );
    assert.equal(state.decisions[0]?.rule, "district-probe:whatsapp-down");
  });

  it("an operator's incident on WhatsApp puts it last, probes included", () => {
    const incidents = [{ incidentId: "inc_1", channels: ["whatsapp" as const] }];
    const { state } = given([[T0, start()]], (now) => ctx(now, { incidents }), idWhere(true));
    assert.deepEqual(
      state.steps.map((s) => s.channel),
      ["sms", "whatsapp", "voice"],
    );
    assert.equal(state.decisions[0]?.rule, "incident:inc_1");
  });

  it("the user's preferred channel goes first", () => {
    const { state } = given([[T0, start(facts({ channelPreference: "sms" }))]]);
    assert.deepEqual(
      state.steps.map((s) => s.channel),
      ["sms", "whatsapp", "voice"],
    );
    assert.equal(state.decisions[0]?.rule, "preference:sms");
  });

  it("WhatsApp goes down after planning: the next step skips it, but never jumps to the last resort", () => {
    const smsFirst: Workflow = {
      name: "sms_first",
      steps: [DEFAULT_WORKFLOW.steps[1]!, DEFAULT_WORKFLOW.steps[0]!, DEFAULT_WORKFLOW.steps[2]!],
    };
    const id = idWhere(false);
    const run = (lastResortChannels: ("voice" | "sms" | "whatsapp")[]) =>
      given(
        [
          [T0, start(facts(), smsFirst)],
          [T0 + 1_000, receipt(1, "failed", "permanent")],
        ],
        (now) =>
          ctx(now, {
            health: now > T0 ? whatsappDown : emptyHealth(),
            settings: { ...DEFAULT_ROUTING_SETTINGS, lastResortChannels },
          }),
        id,
      ).last;
    const [kept] = dispatches(run(["voice"]));
    assert.equal(kept?.channel, "whatsapp", "voice stays the last resort");
    const [skipped] = dispatches(run([]));
    assert.equal(skipped?.channel, "voice");
    assert.match(skipped?.decision.reason ?? "", /skipped whatsapp \(whatsapp in ID-JK-JS: delivered 10%/);
  });
});

describe("SMS route choice", () => {
  const routeFigures = (route: string, state: HealthFigures["state"]): HealthFigures => ({
    ...figures("sms", state),
    route,
    district: "",
    operator: "id-telkomsel",
  });

  it("the direct route's circuit is open: the aggregator takes over", () => {
    const health: HealthView = {
      channels: {},
      routes: { "sms/id-telkomsel-direct": routeFigures("id-telkomsel-direct", "down") },
    };
    const { last } = given(
      [[T0, start(facts(), { name: "sms", steps: [DEFAULT_WORKFLOW.steps[1]!] })]],
      (now) => ctx(now, { health }),
    );
    const [sms] = dispatches(last);
    assert.equal(sms?.route, "aggregator");
    assert.match(sms?.decision.rule ?? "", /route:failover$/);
    assert.match(sms?.decision.reason ?? "", /circuit open: id-telkomsel-direct/);
  });

  it("weights split traffic stably between routes", () => {
    const routes = defaultRoutesTable();
    routes.sms.operators["id-telkomsel"] = [
      { route: "id-telkomsel-direct", weight: 80 },
      { route: "aggregator", weight: 20 },
    ];
    const counts: Record<string, number> = {};
    for (let i = 0; i < 1_000; i++) {
      const { last } = given(
        [[T0, start(facts(), { name: "sms", steps: [DEFAULT_WORKFLOW.steps[1]!] })]],
        (now) => ctx(now, { routes }),
        `ver_${i}`,
      );
      const route = dispatches(last)[0]!.route;
      counts[route] = (counts[route] ?? 0) + 1;
    }
    assert.ok(
      counts["id-telkomsel-direct"]! > 720 && counts["id-telkomsel-direct"]! < 880,
      JSON.stringify(counts),
    );
  });
});
