/**
 * The first reaction to a channel going bad: while its evidence leans a third of the way to a collapse, a
 * "not delivered" step on it waits only the channel's usual delivery time before the fallback.
 * The channel's state does not change (no flip); only the wait, and the decision says why.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { defaultRoutesTable } from "../routes-config";
import { collapseLean, DEFAULT_HEALTH_THRESHOLDS, nextHealthState, UNKNOWN_STATE } from "./health-state";
import { type BucketCounts, HISTOGRAM_SIZE } from "./health-window";
import { handleCommand, initialRoutingState } from "./routing-aggregate";
import {
  DEFAULT_ROUTING_SETTINGS,
  type HealthFigures,
  type RoutingCommand,
  type RoutingEvent,
  type Workflow,
} from "./types";

const T0 = 1_767_225_600_000;

const workflow: Workflow = {
  name: "default",
  steps: [
    { channel: "whatsapp", timeoutSeconds: 20, advanceWhen: "not_delivered" },
    { channel: "sms", timeoutSeconds: 30, advanceWhen: "not_verified" },
  ],
};

const start: RoutingCommand = {
  type: "Start",
  inputId: "start",
  tenant: "bank-a",
  facts: {
    purpose: "login",
    riskTier: "medium",
    district: "ID-JK-JS",
    operator: "id-telkomsel",
    country: "ID",
    locale: "id",
    maskedPhone: "+62812****5678",
    phone: undefined,
    code: undefined,
    transaction: undefined,
    expiresAt: T0 + 300_000,
    maxSends: 5,
    codePerAttempt: false,
  },
  workflow,
};

const figures = (channel: HealthFigures["channel"], collapseLean: number): HealthFigures => ({
  channel,
  route: "",
  district: "ID-JK-JS",
  operator: "",
  deliveryRate: 0.9,
  conversionRate: 0.5,
  p50Ms: 1_500,
  p95Ms: 4_000,
  sampleSize: 20,
  state: "healthy",
  collapseLean,
});

function firstDispatch(lean: { whatsapp?: number; sms?: number }) {
  const channels: Partial<Record<HealthFigures["channel"], HealthFigures>> = {};
  if (lean.whatsapp !== undefined) channels.whatsapp = figures("whatsapp", lean.whatsapp);
  if (lean.sms !== undefined) channels.sms = figures("sms", lean.sms);
  const { events } = handleCommand(initialRoutingState("v-1"), start, {
    now: T0,
    health: { channels, routes: {} },
    incidents: [],
    routes: defaultRoutesTable(),
    settings: DEFAULT_ROUTING_SETTINGS,
  });
  return events.find((e) => e.type === "DispatchRequested") as Extract<
    RoutingEvent,
    { type: "DispatchRequested" }
  >;
}

it("WhatsApp leaning towards a collapse: its step waits 8 s, not 20, and the decision says why", () => {
  const hastened = firstDispatch({ whatsapp: 0.6 });
  assert.equal(hastened.channel, "whatsapp");
  assert.equal(hastened.timeoutSeconds, 8);
  assert.equal(hastened.dueAt, T0 + 8_000);
  assert.match(hastened.decision.rule, / wait:hastened$/);
  assert.match(hastened.decision.reason, /leans 60% of the way to a collapse: waiting 8 s, not 20 s/);

  const calm = firstDispatch({ whatsapp: 0.2 });
  assert.equal(calm.timeoutSeconds, 20);
  assert.doesNotMatch(calm.decision.rule, /hastened/);
  assert.equal(firstDispatch({}).timeoutSeconds, 20, "no figures yet: the workflow's wait");
});

it("a step that waits for the code to be checked is never hastened", () => {
  const { events } = handleCommand(
    initialRoutingState("v-2"),
    { ...start, workflow: { name: "sms", steps: [workflow.steps[1]!] } },
    {
      now: T0,
      health: { channels: { sms: figures("sms", 0.9) }, routes: {} },
      incidents: [],
      routes: defaultRoutesTable(),
      settings: DEFAULT_ROUTING_SETTINGS,
    },
  );
  const sms = events.find((e) => e.type === "DispatchRequested") as { timeoutSeconds: number };
  assert.equal(sms.timeoutSeconds, 30);
});

it("two WhatsApp failures in a row in a quiet district lean far enough to hasten, yet the channel stays healthy", () => {
  const t = DEFAULT_HEALTH_THRESHOLDS;
  const bucket = (epoch: number, delivered: number, failed: number): BucketCounts => ({
    epoch,
    sent: delivered + failed,
    delivered,
    failed,
    verified: 0,
    histogram: new Array<number>(HISTOGRAM_SIZE).fill(0),
  });
  // A normal few minutes at 3 a minute (every 20 s, two buckets apart), then two failures.
  const normal = Array.from({ length: 12 }, (_, i) => bucket(i * 2, 1, 0));
  const now = 26 * t.bucketMs + 25_000;
  const buckets = [...normal, bucket(24, 0, 1), bucket(26, 0, 1)];
  let state = nextHealthState(UNKNOWN_STATE, normal, "whatsapp", t, 24 * t.bucketMs);
  assert.equal(state.state, "healthy");
  state = nextHealthState(state, buckets, "whatsapp", t, now);
  assert.equal(state.state, "healthy", "no state change: not a flip");
  const lean = collapseLean(state, buckets, "whatsapp", t, now);
  const hastenAt = DEFAULT_ROUTING_SETTINGS.hastenAtLean;
  assert.ok(lean >= hastenAt && lean < 1, `lean ${lean}`);
  assert.ok(collapseLean(state, normal, "whatsapp", t, now) < hastenAt);
});
