/**
 * The detector on hand-made evidence streams: attempts arrive evenly, a delivered one is
 * evidence two seconds after it was sent, an undelivered one overdue 8 s after (once its whole
 * bucket is) and failed at its 20 s step deadline. Outcomes are filed under the bucket the
 * attempt was sent in, as the store files them. The state is re-judged every second, as the
 * health monitor does.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { collapseScore, hypotheses, wilsonBounds } from "./health-detector";
import {
  collapseLean,
  DEFAULT_HEALTH_THRESHOLDS,
  detectorSettings,
  nextHealthState,
  type SeriesState,
  UNKNOWN_STATE,
} from "./health-state";
import { type BucketCounts, HISTOGRAM_SIZE } from "./health-window";
import { DEFAULT_ROUTING_SETTINGS } from "./types";

const t = DEFAULT_HEALTH_THRESHOLDS; // 5 min window, 10 s buckets, 60 s dwell
const DEADLINE_MS = 20_000;

/** Attempts as [sent at ms, delivered?]. */
type Evidence = [number, boolean][];

/**
 * `perMinute` attempts a minute from 0 to `untilMs`; `delivers(at, i)` says whether attempt i
 * sent at `at` is delivered.
 */
function stream(perMinute: number, untilMs: number, delivers: (at: number, i: number) => boolean): Evidence {
  const gap = 60_000 / perMinute;
  const out: Evidence = [];
  for (let i = 0, at = gap / 2; at < untilMs; i++, at += gap) out.push([at, delivers(at, i)]);
  return out;
}

function bucketsAt(evidence: Evidence, now: number): BucketCounts[] {
  const byEpoch = new Map<number, BucketCounts>();
  for (const [sent, ok] of evidence) {
    if (sent > now) break;
    const epoch = Math.floor(sent / t.bucketMs);
    const b = byEpoch.get(epoch) ?? {
      epoch,
      sent: 0,
      delivered: 0,
      failed: 0,
      verified: 0,
      histogram: new Array<number>(HISTOGRAM_SIZE).fill(0),
    };
    b.sent++;
    if (ok && sent + 2_000 <= now) b.delivered++;
    if (!ok && sent + DEADLINE_MS <= now) b.failed++;
    byEpoch.set(epoch, b);
  }
  return [...byEpoch.values()];
}

/**
 * The state's changes, judged every second up to `untilMs`; a "hastened" entry (not a state)
 * marks the first time after `reactFrom` the evidence leaned far enough for routing to hasten.
 */
function run(evidence: Evidence, untilMs: number, reactFrom = Infinity): { at: number; state: string }[] {
  let s: SeriesState = UNKNOWN_STATE;
  const changes: { at: number; state: string }[] = [];
  let reacted = false;
  for (let now = 0; now <= untilMs; now += 1_000) {
    const buckets = bucketsAt(evidence, now);
    const next = nextHealthState(s, buckets, "whatsapp", t, now);
    if (next.state !== s.state) changes.push({ at: now, state: next.state });
    s = next;
    if (!reacted && now >= reactFrom && collapseLean(s, buckets, "whatsapp", t, now) >= HASTEN) {
      reacted = true;
      changes.push({ at: now, state: "hastened" });
    }
  }
  return changes;
}

const HASTEN = DEFAULT_ROUTING_SETTINGS.hastenAtLean;

/** Deterministic "random" outcome with probability p for attempt i. */
const roll = (i: number, p: number): boolean => ((Math.imul(i + 7, 2654435761) >>> 0) / 2 ** 32) % 1 < p;

const CUT = 10 * 60_000;
const downAt = (changes: { at: number; state: string }[]) => changes.find((c) => c.state === "down")?.at;
const reactedAt = (changes: { at: number; state: string }[]) =>
  changes.find((c) => c.state === "hastened" || c.state === "down")?.at;
const states = (changes: { at: number; state: string }[]) =>
  changes.filter((c) => c.state !== "hastened").map((c) => c.state);

describe("Wilson bounds and the collapse test", () => {
  it("confidence grows with evidence", () => {
    assert.ok(wilsonBounds(0, 1, 1.645).upper > 0.7, "one failure says little");
    assert.ok(wilsonBounds(0, 3, 1.645).upper < 0.5, "three clear failures say a lot");
    assert.ok(wilsonBounds(29, 1, 1.645).upper > 0.9);
    assert.ok(wilsonBounds(2, 3, 1.645).upper > wilsonBounds(20, 30, 1.645).upper);
  });

  it("a failure weighs by the district's own normal: where 99 % arrive, more than where 80 % do", () => {
    const s = detectorSettings(t);
    const bucket = [{ epoch: 0, successes: 0, failures: 3 }];
    const reliable = { successes: 990, failures: 10, through: 0 };
    const patchy = { successes: 800, failures: 200, through: 0 };
    assert.ok(
      collapseScore(bucket, 5_000, reliable, s).score > collapseScore(bucket, 5_000, patchy, s).score,
    );
    assert.ok(
      collapseScore(bucket, 5_000, reliable, s).score >= s.threshold,
      "three failures where 99 % arrive",
    );
    assert.ok(
      collapseScore(bucket, 5_000, patchy, s).score < s.threshold,
      "three failures where 80 % arrive",
    );
    assert.deepEqual(hypotheses(patchy, s).p1, 0.4);
    assert.ok(hypotheses({ successes: 500, failures: 500, through: 0 }, s).p1 < 0.3, "half of a poor normal");
  });
});

describe("blackout detection", () => {
  it("quiet district (3/min): a blackout and a collapse to 40 % are reacted to within 90 s, judged down within 2 and 4 min", () => {
    for (const [delivery, within] of [
      [0, 120_000],
      [0.4, 240_000],
    ] as const) {
      const changes = run(
        stream(3, 20 * 60_000, (at, i) => (at < CUT ? roll(i, 0.95) : roll(i, delivery))),
        20 * 60_000,
        CUT,
      );
      assert.equal(changes[0]?.state, "healthy");
      const down = downAt(changes);
      const reacted = reactedAt(changes);
      assert.ok(reacted !== undefined && reacted - CUT <= 90_000, `${delivery}: ${JSON.stringify(changes)}`);
      assert.ok(down !== undefined && down - CUT <= within, `${delivery}: ${JSON.stringify(changes)}`);
      assert.deepEqual(states(changes), ["healthy", "down"], "it holds while dark");
    }
  });

  it("busy district (30/min): a blackout and a collapse to 40 % are reacted to within 30 s, judged down within 30 and 45 s", () => {
    // Undelivered attempts are overdue 8 s after their bucket: well before the 20 s deadline.
    for (const [delivery, within] of [
      [0, 30_000],
      [0.4, 45_000],
    ] as const) {
      const changes = run(
        stream(30, 15 * 60_000, (at, i) => (at < CUT ? roll(i, 0.95) : roll(i, delivery))),
        15 * 60_000,
        CUT,
      );
      const down = downAt(changes);
      const reacted = reactedAt(changes);
      assert.ok(reacted !== undefined && reacted - CUT <= 30_000, `${delivery}: ${JSON.stringify(changes)}`);
      assert.ok(down !== undefined && down - CUT <= within, `${delivery}: ${JSON.stringify(changes)}`);
    }
  });

  it("busy district: one failure, or a normal failure rate, does not flip it", () => {
    const single = run(
      stream(30, 30 * 60_000, (at, i) => i !== 300),
      30 * 60_000,
    );
    assert.deepEqual(
      single.map((c) => c.state),
      ["healthy"],
    );
    const noisy = run(
      stream(30, 60 * 60_000, (at, i) => roll(i, 0.93)),
      60 * 60_000,
    );
    assert.deepEqual(
      noisy.map((c) => c.state),
      ["healthy"],
    );
  });

  it("failures at twice the normal rate never go down; down never comes up on every other attempt", () => {
    const sprinkled = stream(6, 60 * 60_000, (at, i) => i % 7 !== 3);
    assert.deepEqual(
      run(sprinkled, 60 * 60_000).map((c) => c.state),
      ["healthy"],
    );
    // Half delivered where 95 % normally are is a collapse: down, and it stays down on it.
    const darkThenFlapping = stream(6, 40 * 60_000, (at, i) => at < CUT || (at > 20 * 60_000 && i % 2 === 0));
    assert.deepEqual(
      run(darkThenFlapping, 40 * 60_000).map((c) => c.state),
      ["healthy", "down"],
    );
  });

  it("a district that recovers comes back once, while one still dark stays down", () => {
    const END = 60 * 60_000;
    const back = 30 * 60_000;
    // Down keeps a probe share: 5 % of 6/min reach WhatsApp, plus late deliveries.
    const recovering = stream(6, END, (at, i) => at < CUT || (at >= back && roll(i, 0.95)));
    const probed = recovering.filter(([at], i) => at < CUT + DEADLINE_MS + 60_000 || i % 3 === 0);
    const stillDark = stream(6, END, (at) => at < CUT);
    const r = run(probed, END);
    assert.deepEqual(
      r.map((c) => c.state),
      ["healthy", "down", "healthy"],
    );
    assert.ok(r[2]!.at > back, "back only on evidence after the recovery");
    assert.deepEqual(
      run(stillDark, END).map((c) => c.state),
      ["healthy", "down"],
    );
  });
});
