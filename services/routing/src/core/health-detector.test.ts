/**
 * The detector on hand-made evidence streams: attempts arrive evenly, a delivered one is
 * evidence two seconds after it was sent, an undelivered one at its 20 s step deadline. The
 * state is re-judged every second, as the health monitor does.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { wilsonBounds } from "./health-detector";
import { DEFAULT_HEALTH_THRESHOLDS, nextHealthState, type SeriesState, UNKNOWN_STATE } from "./health-state";
import { type BucketCounts, HISTOGRAM_SIZE } from "./health-window";

const t = DEFAULT_HEALTH_THRESHOLDS; // 5 min window, 10 s buckets, 60 s dwell
const DEADLINE_MS = 20_000;

/** Evidence as [time ms, delivered?]. */
type Evidence = [number, boolean][];

/**
 * `perMinute` attempts a minute from 0 to `untilMs`; `delivers(at, i)` says whether attempt i
 * sent at `at` is delivered.
 */
function stream(perMinute: number, untilMs: number, delivers: (at: number, i: number) => boolean): Evidence {
  const gap = 60_000 / perMinute;
  const out: Evidence = [];
  for (let i = 0, at = gap / 2; at < untilMs; i++, at += gap) {
    const ok = delivers(at, i);
    out.push([at + (ok ? 2_000 : DEADLINE_MS), ok]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

function bucketsAt(evidence: Evidence, now: number): BucketCounts[] {
  const byEpoch = new Map<number, BucketCounts>();
  for (const [at, ok] of evidence) {
    if (at > now) break;
    const epoch = Math.floor(at / t.bucketMs);
    const b = byEpoch.get(epoch) ?? {
      epoch,
      sent: 0,
      delivered: 0,
      failed: 0,
      verified: 0,
      histogram: new Array<number>(HISTOGRAM_SIZE).fill(0),
    };
    if (ok) b.delivered++;
    else b.failed++;
    byEpoch.set(epoch, b);
  }
  return [...byEpoch.values()];
}

/** The state's changes, judged every second up to `untilMs`. */
function run(evidence: Evidence, untilMs: number): { at: number; state: string }[] {
  let s: SeriesState = UNKNOWN_STATE;
  const changes: { at: number; state: string }[] = [];
  for (let now = 0; now <= untilMs; now += 1_000) {
    const next = nextHealthState(s, bucketsAt(evidence, now), "whatsapp", t, now);
    if (next.state !== s.state) changes.push({ at: now, state: next.state });
    s = next;
  }
  return changes;
}

/** Deterministic "random" outcome with probability p for attempt i. */
const roll = (i: number, p: number): boolean => ((Math.imul(i + 7, 2654435761) >>> 0) / 2 ** 32) % 1 < p;

const CUT = 10 * 60_000;
const downAt = (changes: { at: number; state: string }[]) => changes.find((c) => c.state === "down")?.at;

describe("Wilson bounds", () => {
  test("confidence grows with evidence", () => {
    assert.ok(wilsonBounds(0, 1, 1.645).upper > 0.7, "one failure says little");
    assert.ok(wilsonBounds(0, 3, 1.645).upper < 0.5, "three clear failures say a lot");
    assert.ok(wilsonBounds(29, 1, 1.645).upper > 0.9);
    assert.ok(wilsonBounds(2, 3, 1.645).upper > wilsonBounds(20, 30, 1.645).upper);
  });
});

describe("blackout detection", () => {
  test("quiet district (3/min): a collapse to 10 % is acted on within 90 s", () => {
    const changes = run(
      stream(3, 20 * 60_000, (at, i) => (at < CUT ? true : roll(i, 0.1))),
      20 * 60_000,
    );
    assert.equal(changes[0]?.state, "healthy");
    const down = downAt(changes);
    assert.ok(down !== undefined && down - CUT <= 90_000, JSON.stringify(changes));
    assert.equal(changes.length, 2, "healthy, then down: it holds while dark");
  });

  test("busy district (30/min): a collapse to 10 % is acted on within 35 s, one to 40 % within 3 min", () => {
    // Evidence of a failure comes at the step deadline (20 s): what is left is the time the
    // bound needs. A collapse to 40 % is hard to tell from noise on a handful of attempts.
    for (const [delivery, within] of [
      [0.1, 35_000],
      [0.4, 180_000],
    ] as const) {
      const changes = run(
        stream(30, 15 * 60_000, (at, i) => (at < CUT ? true : roll(i, delivery))),
        15 * 60_000,
      );
      const down = downAt(changes);
      assert.ok(down !== undefined && down - CUT <= within, `${delivery}: ${JSON.stringify(changes)}`);
    }
  });

  test("busy district: one failure, or a normal failure rate, does not flip it", () => {
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

  test("flapping evidence (every other attempt fails) never goes down, and down never comes up on it", () => {
    const flapping = stream(6, 30 * 60_000, (at, i) => at < CUT || i % 2 === 0);
    assert.deepEqual(
      run(flapping, 30 * 60_000).map((c) => c.state),
      ["healthy"],
    );
    const darkThenFlapping = stream(6, 40 * 60_000, (at, i) => at < CUT || (at > 20 * 60_000 && i % 2 === 0));
    assert.deepEqual(
      run(darkThenFlapping, 40 * 60_000).map((c) => c.state),
      ["healthy", "down"],
    );
  });

  test("a district that recovers comes back once, while one still dark stays down", () => {
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
