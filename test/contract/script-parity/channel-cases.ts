/** Channels' scripts: incidents, shared channel health, voice calls, SMS parts' final receipt. */
import assert from "node:assert/strict";
import { finalReceipt } from "@gateway-smpp/src/dispatch/final-receipt";
import {
  readHealthIndex,
  readHealthScope,
  recordHealth,
  touchHealthIndex,
  transitionHealth,
} from "@services/routing/src/store-scripts/health";
import {
  NO_END,
  putIncident,
  readIncidents,
  resolveIncident,
  type StoredIncident,
} from "@platform/incidents/incident-scripts";
import { listCalls, trackCall, type StoredCall } from "@services/voice/src/call-scripts";
import { step, type ParityCase } from "./parity";

const HOUR = 3_600_000;
/** Lua walks a hash in its own order: callers must not depend on it, so neither does the comparison. */
const sortedIncidents = (list: StoredIncident[]) => [...list].sort((a, b) => a.json.localeCompare(b.json));
const sortedCalls = (list: StoredCall[]) => [...list].sort((a, b) => a.callId.localeCompare(b.callId));
const sortedStrings = (list: string[]) => [...list].sort();

const increment = (
  series: string,
  over: Partial<Record<"sent" | "delivered" | "failed" | "verified", number>> = {},
) => ({
  series,
  sent: 0,
  delivered: 0,
  failed: 0,
  verified: 0,
  histogramIndex: -1,
  ...over,
});

export const channelCases: ParityCase[] = [
  {
    name: "incidents: put once, resolve once, read the live ones, forget the long ended",
    steps: (now) => [
      step(putIncident, { incidentId: "i1", json: '{"id":"i1"}', endAtMs: NO_END }),
      step(putIncident, { incidentId: "i1", json: '{"id":"again"}', endAtMs: NO_END }),
      step(putIncident, { incidentId: "i2", json: '{"id":"i2"}', endAtMs: now - 2 * HOUR }),
      step(resolveIncident, { incidentId: "i1", resolutionJson: '{"by":"ops"}', resolvedAtMs: now }),
      step(resolveIncident, { incidentId: "i1", resolutionJson: '{"by":"other"}', resolvedAtMs: now }),
      step(resolveIncident, { incidentId: "i9", resolutionJson: "{}", resolvedAtMs: now }),
      step(putIncident, { incidentId: "i3", json: '{"id":"i3"}', endAtMs: NO_END }),
      step(readIncidents, { nowMs: now, keepEndedMs: HOUR }, sortedIncidents),
      step(putIncident, { incidentId: "bad id", json: "{}", endAtMs: 0 }),
    ],
    expect(answers) {
      assert.deepEqual(answers.slice(0, 3), [true, false, true]);
      assert.equal((answers[3] as { resolvedNow: boolean }).resolvedNow, true);
      assert.equal(
        (answers[4] as { resolvedNow: boolean; resolutionJson: string }).resolutionJson,
        '{"by":"ops"}',
      );
      assert.equal((answers[5] as { found: boolean }).found, false);
      assert.deepEqual(answers[7], [
        { json: '{"id":"i1"}', resolutionJson: '{"by":"ops"}' },
        { json: '{"id":"i3"}', resolutionJson: undefined },
      ]);
      assert.ok("error" in (answers[8] as object), "an id outside the alphabet is refused");
    },
  },
  {
    name: "health: buckets add up within an epoch and restart in the next; a state moves only from what was read",
    steps: (now) => {
      const at = Math.floor(now / 10_000) * 10_000;
      const record = (atMs: number, ...increments: ReturnType<typeof increment>[]) =>
        step(recordHealth, {
          scope: "d:jakarta",
          atMs,
          bucketMs: 10_000,
          slots: 30,
          ttlMs: HOUR,
          increments,
        });
      return [
        record(
          at,
          increment("whatsapp", { sent: 2, delivered: 1 }),
          increment("sms/telkomsel", { sent: 1, failed: 1 }),
        ),
        record(at + 1, { ...increment("whatsapp", { sent: 1, delivered: 1 }), histogramIndex: 3 }),
        record(at + 300_000, increment("whatsapp", { sent: 1, verified: 1 })),
        // Neutral outcomes take sends back; a bucket never goes below none.
        record(at + 300_001, increment("sms/telkomsel", { sent: -1 })),
        record(at + 300_002, increment("voice", { sent: -1 })),
        step(readHealthScope, "d:jakarta"),
        step(transitionHealth, {
          scope: "d:jakarta",
          series: "whatsapp",
          expected: "",
          next: `down,${at}`,
          ttlMs: HOUR,
        }),
        step(transitionHealth, {
          scope: "d:jakarta",
          series: "whatsapp",
          expected: "",
          next: `up,${at}`,
          ttlMs: HOUR,
        }),
        step(readHealthScope, "d:jakarta"),
        step(recordHealth, {
          scope: "d:x",
          atMs: at,
          bucketMs: 10_000,
          slots: 30,
          ttlMs: HOUR,
          increments: [],
        }),
      ];
    },
    expect(answers) {
      const scope = answers[5] as Record<string, string>;
      assert.equal(
        Object.keys(scope).filter((f) => f.startsWith("b|whatsapp|")).length,
        1,
        "one ring slot, reset by the new epoch",
      );
      assert.ok(
        Object.entries(scope).some(([f, v]) => f.startsWith("b|voice|") && v.split(",")[1] === "0"),
        "a send taken back from an empty bucket leaves none, not minus one",
      );
      assert.deepEqual(answers.slice(6, 8), [true, false]);
      assert.ok("error" in (answers[9] as object));
    },
  },
  {
    name: "health index: scopes written lately, the stale ones dropped",
    steps: (now) => [
      step(touchHealthIndex, { scope: "d:jakarta", atMs: now }),
      step(touchHealthIndex, { scope: "d:bandung", atMs: now - 2 * HOUR }),
      step(touchHealthIndex, { scope: "o:telkomsel", atMs: now - 1_000 }),
      step(readHealthIndex, { nowMs: now, maxAgeMs: HOUR }, sortedStrings),
      step(readHealthIndex, { nowMs: now, maxAgeMs: HOUR }, sortedStrings),
    ],
    expect(answers) {
      assert.deepEqual(answers[3], ["d:jakarta", "o:telkomsel"]);
    },
  },
  {
    name: "voice calls move forward only; a repeat is told apart from a stale status",
    steps: () => {
      const track = (callId: string, status: string, rank: number) =>
        step(trackCall, { verificationId: "v1", callId, attempt: 2, status, rank, ttlMs: HOUR });
      return [
        track("c1", "ringing", 2),
        track("c1", "ringing", 2),
        track("c1", "initiated", 1),
        track("c1", "busy", 2),
        track("c1", "completed", 5),
        track("c2", "queued", 0),
        step(listCalls, { verificationId: "v1" }, sortedCalls),
      ];
    },
    expect(answers) {
      assert.deepEqual(answers.slice(0, 6), ["moved", "repeated", "stale", "stale", "moved", "moved"]);
      assert.deepEqual(answers[6], [
        { callId: "c1", attempt: 2, status: "completed" },
        { callId: "c2", attempt: 2, status: "queued" },
      ]);
    },
  },
  {
    name: "SMS parts: the last delivered part or the first failed one ends the attempt, once",
    steps: () => {
      const part = (attempt: number, partIndex: number, delivered: boolean) =>
        step(finalReceipt, {
          verificationId: "v1",
          attempt,
          partIndex,
          partCount: 3,
          delivered,
          ttlMs: HOUR,
        });
      return [
        part(1, 0, true),
        part(1, 0, true),
        part(1, 1, true),
        part(1, 2, true),
        part(1, 2, true),
        part(2, 1, true),
        part(2, 0, false),
        part(2, 2, true),
      ];
    },
    expect: (answers) =>
      assert.deepEqual(answers, [
        "pending",
        "duplicate",
        "pending",
        "final",
        "duplicate",
        "pending",
        "final",
        "duplicate",
      ]),
  },
];
