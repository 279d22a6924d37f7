/**
 * Routing's partition task on plain data: inputs in, decisions, changelog records and timers
 * out, a restore from the changelog bringing the timers back. Time is a variable the test moves.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { trace } from "@opentelemetry/api";
import { RiskTier } from "@proto/otp/v1/common";
import { VerificationStarted } from "@proto/otp/events/v1/events";
import type { BusMessage } from "@platform/bus/port";
import { envelope, type EventBody } from "@platform/events/envelope";
import { topicNames } from "@platform/bus/topics";
import { silentLogger } from "@platform/log";
import { DEFAULT_POLICY } from "@domain/policy/defaults";
import { createPolicyBook } from "@domain/policy/policy-book";
import { DEFAULT_ROUTING_SETTINGS } from "../core/types";
import type { HealthObservation } from "../core/health-observations";
import type { HealthRepository } from "../health/health-store";
import { defaultRoutesTable } from "../routes-config";
import { createRoutingTask, type RoutingTaskDeps } from "./routing-task";

const T0 = 1_767_225_600_000;
const ID = "ver_AAAAAAAAAAAAAAAAAAAAAA";
const topics = topicNames("t-");

function deps(clock: { now: number }, samples: HealthObservation[] = []): RoutingTaskDeps {
  const health = {
    record: (o: readonly HealthObservation[]) => void samples.push(...o),
    view: async () => ({ channels: {}, routes: {} }),
  } as unknown as HealthRepository;
  return {
    policies: createPolicyBook(DEFAULT_POLICY, {}),
    topics,
    clock: () => clock.now,
    health,
    incidents: { declaredFor: async () => [], invalidate: () => undefined },
    routes: defaultRoutesTable(),
    settings: DEFAULT_ROUTING_SETTINGS,
    retentionMs: 60_000,
    logger: silentLogger(),
    tracer: trace.getTracer("test"),
  };
}

let offset = 0;
function message(body: EventBody, at: number): BusMessage {
  return {
    topic: topics.verifications,
    partition: 0,
    offset: String(offset++),
    key: ID,
    envelope: envelope({ verificationId: ID, tenant: "demo-bank", at: new Date(at) }, body),
    headers: {},
    redelivery: 0,
  };
}

const started = (at: number): BusMessage =>
  message(
    {
      $case: "verificationStarted",
      value: VerificationStarted.fromPartial({
        purpose: "login",
        riskTier: RiskTier.RISK_TIER_MEDIUM,
        district: "ID-JK-JS",
        operator: "id-telkomsel",
        country: "ID",
        locale: "id",
        maskedPhone: "+62812****5678",
        expiresAt: new Date(at + 300_000),
        maxSends: 5,
        numberType: "mobile",
      }),
    },
    at,
  );

const eventTypes = (messages: { envelope: { event?: { $case: string } } }[]) =>
  messages.map((m) => m.envelope.event?.$case);

describe("routing partition task", () => {
  it("a start: the plan and attempt 1 out, the state on the changelog, the step's timer armed", async () => {
    const clock = { now: T0 };
    const samples: HealthObservation[] = [];
    const task = createRoutingTask(deps(clock, samples), 0, new Map());
    await task.handle(started(T0));
    const out = task.drain();
    assert.deepEqual(eventTypes(out.messages), ["routePlanned", "dispatchRequested"]);
    assert.deepEqual(
      out.changelog.map((c) => c.key),
      [ID],
    );
    const step = task.timers(ID).find((t) => t.kind === "fallback");
    assert.ok(step && step.at > T0, "the first step's fallback timer");
    assert.equal(task.nextDueAt(), step.at);
    assert.equal(samples.length, 0, "health hears of the dispatch only once it is committed");
    out.afterCommit?.();
    assert.deepEqual(
      samples.map((s) => s.sample.kind),
      ["sent"],
    );
    assert.deepEqual(task.drain().messages, [], "drained once");
  });

  it("a new owner restores the state from the changelog and fires the overdue timer once", async () => {
    const clock = { now: T0 };
    const first = createRoutingTask(deps(clock), 0, new Map());
    await first.handle(started(T0));
    const [record] = first.drain().changelog;
    const due = first.timers(ID).find((t) => t.kind === "fallback")!.at;

    clock.now = due + 5_000; // the owner died; nobody held the partition when the timer fell due
    const second = createRoutingTask(deps(clock), 0, new Map([[ID, record!.value!]]));
    assert.equal(second.get(ID)?.currentAttempt, 1);
    assert.ok(second.nextDueAt()! <= clock.now, "the timer came back with the state, overdue");
    await second.fire(clock.now);
    const out = second.drain();
    assert.deepEqual(eventTypes(out.messages), ["fallbackTriggered", "dispatchRequested"]);
    assert.equal(second.get(ID)?.currentAttempt, 2);
    await second.fire(clock.now);
    assert.deepEqual(second.drain().messages, [], "the same timer never fires twice");
  });

  it("a finished verification stays for ExplainRoute, then leaves a tombstone", async () => {
    const clock = { now: T0 };
    const task = createRoutingTask(deps(clock), 0, new Map());
    await task.handle(started(T0));
    task.drain();
    clock.now = T0 + 1_000;
    await task.handle(
      message({ $case: "verificationCancelled", value: { reason: "user", by: "bank" } }, clock.now),
    );
    task.drain();
    assert.equal(task.get(ID)?.status, "cancelled");
    assert.deepEqual(task.timers(ID), [], "no fallback or expiry timer for a finished verification");
    await task.fire(clock.now + 59_000);
    assert.equal(task.drain().changelog.length, 0, "kept within the retention");
    await task.fire(clock.now + 60_000);
    assert.deepEqual(task.drain().changelog, [{ key: ID, value: null }]);
    assert.equal(task.get(ID), undefined);
  });

  it("a start read again, before or after the verification ended, sends nothing more", async () => {
    const clock = { now: T0 };
    const task = createRoutingTask(deps(clock), 0, new Map());
    const start = started(T0);
    await task.handle(start);
    assert.deepEqual(eventTypes(task.drain().messages), ["routePlanned", "dispatchRequested"]);
    // A write retried by the producer: a second copy of the same start on the log.
    clock.now = T0 + 2_000;
    await task.handle({ ...start, offset: String(offset++) });
    assert.deepEqual(task.drain().messages, [], "a copy while the verification runs");
    await task.handle(
      message({ $case: "verificationCancelled", value: { reason: "user", by: "bank" } }, clock.now),
    );
    task.drain();
    await task.handle({ ...start, offset: String(offset++) });
    assert.deepEqual(task.drain().messages, [], "a copy once it has ended");
    // Its state dropped after the retention: a copy read then comes after the code's life.
    await task.fire(clock.now + 60_000);
    assert.deepEqual(task.drain().changelog, [{ key: ID, value: null }]);
    clock.now = T0 + 300_000;
    await task.handle({ ...start, offset: String(offset++) });
    const late = task.drain();
    assert.deepEqual(late.messages, [], "a copy after the code expired");
    assert.deepEqual(late.changelog, []);
  });

  it("inputs for a verification routing never saw change nothing", async () => {
    const task = createRoutingTask(deps({ now: T0 }), 0, new Map());
    await task.handle(message({ $case: "verificationCancelled", value: { reason: "user", by: "bank" } }, T0));
    const out = task.drain();
    assert.deepEqual(out.messages, []);
    assert.deepEqual(out.changelog, []);
  });
});
