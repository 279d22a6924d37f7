/**
 * A failure that is a fact about the user (WhatsApp's 131026: not a WhatsApp user) says nothing
 * about the district's network: it is neutral for health. The attempt's send is taken back, so
 * it is neither a failure nor left pending (which would make it overdue evidence), and a
 * conversion through the fallback does not count it as failed afterwards.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { defaultRoutesTable } from "../routes-config";
import { filedAt, observationsOf, type HealthObservation } from "./health-observations";
import { DEFAULT_HEALTH_THRESHOLDS, evidenceOf } from "./health-state";
import { type BucketCounts, HISTOGRAM_SIZE, incrementsOf } from "./health-window";
import { handleCommand, initialRoutingState } from "./routing-aggregate";
import { DEFAULT_ROUTING_SETTINGS, type RoutingCommand, type RoutingState } from "./types";

const T0 = 1_767_225_600_000;
const t = DEFAULT_HEALTH_THRESHOLDS;

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
  workflow: {
    name: "default",
    steps: [
      { channel: "whatsapp", timeoutSeconds: 20, advanceWhen: "not_delivered" },
      { channel: "sms", timeoutSeconds: 30, advanceWhen: "not_verified" },
    ],
  },
};

const failed = (reason: string): RoutingCommand => ({
  type: "RecordReceipt",
  inputId: `r-${reason}`,
  receipt: { attempt: 1, status: "failed", failureClass: "permanent", reason, at: T0 + 900 },
});

/** Handles the commands in order; returns the state and every health observation they made. */
function play(commands: [number, RoutingCommand][]): { state: RoutingState; seen: HealthObservation[] } {
  let state = initialRoutingState("v-1");
  const seen: HealthObservation[] = [];
  for (const [now, command] of commands) {
    const handled = handleCommand(state, command, {
      now,
      health: { channels: {}, routes: {} },
      incidents: [],
      routes: defaultRoutesTable(),
      settings: DEFAULT_ROUTING_SETTINGS,
    });
    state = handled.state;
    for (const event of handled.events) seen.push(...observationsOf(event, state));
  }
  return { state, seen };
}

/** The WhatsApp series' buckets after filing the observations as the store does. */
function whatsappBuckets(seen: HealthObservation[]): BucketCounts[] {
  const byEpoch = new Map<number, BucketCounts>();
  for (const o of seen.filter((x) => x.channel === "whatsapp")) {
    const at = filedAt(o, t);
    if (at === undefined) continue;
    const epoch = Math.floor(at / t.bucketMs);
    const b = byEpoch.get(epoch) ?? {
      epoch,
      sent: 0,
      delivered: 0,
      failed: 0,
      verified: 0,
      histogram: new Array<number>(HISTOGRAM_SIZE).fill(0),
    };
    const [sent, delivered, failures] = incrementsOf(o.sample);
    b.sent = Math.max(0, b.sent + sent);
    b.delivered += delivered;
    b.failed += failures;
    byEpoch.set(epoch, b);
  }
  return [...byEpoch.values()];
}

it("not a WhatsApp user (131026): neutral for health, the fallback goes at once, nothing stays pending", () => {
  const checked: RoutingCommand = { type: "Finish", inputId: "c", outcome: "verified", matchedAttempt: 2 };
  const { state, seen } = play([
    [T0, start],
    [T0 + 1_000, failed("WHATSAPP_131026")],
    [T0 + 9_000, checked],
  ]);
  assert.equal(state.attempts[1]?.channel, "sms", "the fallback did not wait for the step's deadline");
  const whatsapp = seen.filter((o) => o.channel === "whatsapp").map((o) => o.sample.kind);
  assert.deepEqual(whatsapp, ["sent", "neutral"], "no failure, not even from the conversion after it");
  // Twelve seconds after the send, a pending WhatsApp attempt would be overdue evidence: there is none.
  const evidence = evidenceOf(whatsappBuckets(seen), "whatsapp", t, T0 + 12_000);
  assert.deepEqual(
    evidence.map((b) => [b.successes, b.failures, b.overdue ?? 0]),
    [[0, 0, 0]],
  );
});

it("any other permanent WhatsApp failure still counts against the district", () => {
  const { seen } = play([
    [T0, start],
    [T0 + 1_000, failed("WHATSAPP_131000")],
  ]);
  assert.deepEqual(
    seen.filter((o) => o.channel === "whatsapp").map((o) => o.sample.kind),
    ["sent", "failed"],
  );
  const evidence = evidenceOf(whatsappBuckets(seen), "whatsapp", t, T0 + 12_000);
  assert.deepEqual(
    evidence.map((b) => [b.successes, b.failures, b.overdue ?? 0]),
    [[0, 1, 0]],
  );
});

it("a neutral outcome too late to be filed with its send is dropped, not filed elsewhere", () => {
  const o = { at: T0 + t.windowMs, sentAt: T0, sample: { kind: "neutral" } as const };
  assert.equal(filedAt(o, t), undefined);
  assert.equal(filedAt({ ...o, at: T0 + 2_000 }, t), T0);
  assert.equal(filedAt({ ...o, sample: { kind: "failed" } }, t), T0 + t.windowMs);
});
