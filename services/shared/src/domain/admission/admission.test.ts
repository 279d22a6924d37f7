/**
 * The admission core on plain data: which signal sets the load, how a total is shared between
 * tenants, how the controller moves, what one call is told — and the gate that puts them
 * together, driven tick by tick on a fake clock (no timers, no sleeping).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { status as GrpcCode, type StatusObject } from "@grpc/grpc-js";
import { silentLogger } from "@platform/log";
import { decodeStatusDetails, overloadedStatus } from "@platform/grpc/status";
import {
  type AdmissionSettings,
  type Control,
  DEFAULT_SETTINGS,
  initialControl,
  nextControl,
} from "./control";
import { decide } from "./decide";
import { fairShares } from "./fair-share";
import { createAdmissionGate } from "@platform/admission/gate";
import { loadOf, type Signals } from "./load";

const S: AdmissionSettings = { ...DEFAULT_SETTINGS, maxInFlight: 100, backlog: 1_000 };
const calm: Signals = { elu: 0.3, loopLagMs: 1, inFlight: 0, backlog: 0 };
const hot: Signals = { elu: 1, loopLagMs: 5, inFlight: 10, backlog: 0 };

const tick = (c: Control, signals: Signals, admittedStarts: number, offered: Record<string, number> = {}) =>
  nextControl(
    c,
    {
      dtMs: 100,
      signals,
      admittedStarts,
      tenants: Object.entries(offered).map(([key, n]) => ({ key, weight: 1, offered: n })),
    },
    S,
  );

describe("admission load", () => {
  it("is set by the worst signal, each against its own limit", () => {
    assert.deepEqual(loadOf({ ...calm, loopLagMs: 60 }, S), { value: 2, source: "loop-lag" });
    assert.equal(loadOf({ ...calm, backlog: 1_500 }, S).source, "backlog");
    assert.equal(loadOf({ ...calm, inFlight: 100 }, S).value, 1);
    assert.equal(loadOf({ ...calm, backlog: 1_000_000 }, { ...S, backlog: 0 }).source, "elu");
  });
});

describe("fair shares", () => {
  it("gives a tenant under its share what it asks, and the rest to the one surging", () => {
    const shares = fairShares(100, [
      { key: "surge", weight: 1, demand: 1_000 },
      { key: "calm", weight: 1, demand: 10 },
    ]);
    assert.equal(shares.get("calm"), 10);
    assert.equal(shares.get("surge"), 90);
  });

  it("divides in proportion to the weights when everyone asks for more", () => {
    const shares = fairShares(100, [
      { key: "big", weight: 3, demand: 1_000 },
      { key: "small", weight: 1, demand: 1_000 },
    ]);
    assert.equal(shares.get("big"), 75);
    assert.equal(shares.get("small"), 25);
  });
});

describe("admission controller", () => {
  it("starts limiting when a signal stays past its limit, cutting from what got in", () => {
    const once = tick(tick(initialControl(S), calm, 20), hot, 20, { a: 40 });
    assert.equal(once.limiting, false, "one hot tick after a calm one is outvoted");
    const c = tick(once, hot, 20, { a: 40 });
    assert.equal(c.limiting, true);
    assert.ok(c.startsPerSec < 200, `cut below the admitted 200/s, got ${c.startsPerSec}`);
    assert.ok(c.startsPerSec >= S.minStartsPerSec);
  });

  it("grows while callers are refused and the signals have room, and opens once calm", () => {
    let c = tick(initialControl(S), hot, 20, { a: 100 });
    const limited = c.startsPerSec;
    c = tick(c, { ...calm, elu: 0.8 }, 10, { a: 100 });
    assert.equal(c.limiting, true, "still refusing: not open yet");
    assert.ok(c.startsPerSec > limited);
    for (let i = 0; i < 10; i++) c = tick(c, calm, 1, { a: 1 });
    assert.equal(c.limiting, false);
  });

  it("does not cut starts for a loop busy with refusals while the pipeline has room (no collapse)", () => {
    // Limiting at about 200 starts/s; then a flood: the loop is saturated, but by 2,000
    // refusals a tick against 20 admitted calls, and the backlog is empty.
    let c = tick(tick(initialControl(S), hot, 20, { a: 100 }), hot, 20, { a: 100 });
    for (let i = 0; i < 30; i++) c = tick(c, calm, 20, { a: 100 });
    const before = c.startsPerSec;
    const flood: Signals = {
      elu: 1,
      loopLagMs: 90,
      inFlight: 20,
      backlog: 0,
      admittedCalls: 20,
      refusedCalls: 2_000,
    };
    for (let i = 0; i < 50; i++) c = tick(c, flood, 20, { a: 3_000 });
    assert.ok(
      c.startsPerSec >= before,
      `the admitted rate held (${before.toFixed(0)} → ${c.startsPerSec.toFixed(0)}/s)`,
    );
    // The same loop, busy with admitted calls: those are what a cut removes.
    let d = c;
    for (let i = 0; i < 5; i++)
      d = tick(d, { ...flood, admittedCalls: 2_000, refusedCalls: 20 }, 20, { a: 3_000 });
    assert.ok(
      d.startsPerSec < c.startsPerSec * 0.5,
      `cut when admitted work fills the loop (${d.startsPerSec.toFixed(0)}/s)`,
    );
    // And the pipeline's backlog cuts whatever the loop's share.
    let e = c;
    for (let i = 0; i < 5; i++) e = tick(e, { ...flood, backlog: 3_000 }, 20, { a: 3_000 });
    assert.ok(e.startsPerSec < c.startsPerSec * 0.5, `cut on the backlog (${e.startsPerSec.toFixed(0)}/s)`);
  });

  it("does not cut on one tick's spike", () => {
    let c = tick(tick(initialControl(S), hot, 20, { a: 100 }), hot, 20, { a: 100 });
    for (let i = 0; i < 10; i++) c = tick(c, { ...calm, elu: 0.8 }, 20, { a: 100 });
    const before = c.startsPerSec;
    c = tick(c, { ...calm, loopLagMs: 300 }, 20, { a: 100 });
    c = tick(c, { ...calm, elu: 0.8 }, 20, { a: 100 });
    assert.ok(c.startsPerSec >= before, `${before.toFixed(0)} → ${c.startsPerSec.toFixed(0)}/s`);
  });

  it("tells refused callers to wait longer as the backlog grows", () => {
    const small = tick(initialControl(S), { ...hot, backlog: 100 }, 10);
    const large = tick(initialControl(S), { ...hot, backlog: 3_000 }, 10);
    assert.ok(large.retryAfterMs > small.retryAfterMs);
    assert.ok(small.retryAfterMs >= S.retryMinMs);
    assert.ok(tick(initialControl(S), { ...hot, backlog: 1e9 }, 10).retryAfterMs <= S.retryMaxMs);
  });
});

describe("admission decision", () => {
  const limiting = tick(initialControl(S), hot, 20, { a: 100 });
  const critical = tick(initialControl(S), { ...hot, loopLagMs: 1_000 }, 20);

  it("lets checks through while starts past their share are refused", () => {
    const empty = { tokens: 0, at: 0 };
    assert.deepEqual(decide(limiting, { cls: "start", inFlight: 5, bucket: empty, share: 10 }, S, 0), {
      admit: false,
      reason: "tenant-share",
      bucket: empty,
    });
    assert.equal(
      decide(critical, { cls: "verify", inFlight: 150, bucket: undefined, share: 0 }, S, 0).admit,
      true,
    );
    assert.equal(
      decide(critical, { cls: "verify", inFlight: 200, bucket: undefined, share: 0 }, S, 0).admit,
      false,
    );
  });

  it("admits starts and reads while almost nothing is in flight, whatever the loop says (a process starting)", () => {
    const empty = { tokens: 0, at: 0 };
    assert.equal(
      decide(critical, { cls: "read", inFlight: 0, bucket: undefined, share: 0 }, S, 0).admit,
      true,
    );
    assert.equal(decide(limiting, { cls: "start", inFlight: 3, bucket: empty, share: 10 }, S, 0).admit, true);
    assert.equal(
      decide(limiting, { cls: "start", inFlight: 4, bucket: empty, share: 10 }, S, 0).admit,
      false,
    );
  });

  it("refills a tenant's bucket at its share", () => {
    const later = decide(
      limiting,
      { cls: "start", inFlight: 5, bucket: { tokens: 0, at: 0 }, share: 10 },
      S,
      150,
    );
    assert.equal(later.admit, true, "1.5 tokens after 150 ms at 10/s");
  });

  it("refuses reads only when critical, and everything but checks at the in-flight bound", () => {
    assert.equal(
      decide(limiting, { cls: "read", inFlight: 0, bucket: undefined, share: 0 }, S, 0).admit,
      true,
    );
    assert.equal(
      decide(critical, { cls: "read", inFlight: 4, bucket: undefined, share: 0 }, S, 0).admit,
      false,
    );
    const open = initialControl(S);
    assert.deepEqual(decide(open, { cls: "start", inFlight: 100, bucket: undefined, share: 0 }, S, 0), {
      admit: false,
      reason: "in-flight",
    });
  });
});

describe("admission gate", () => {
  const rig = (signals: () => Signals) => {
    let now = 0;
    const lines: string[] = [];
    const logger = { ...silentLogger(), warn: (msg: string) => void lines.push(msg) } as ReturnType<
      typeof silentLogger
    >;
    const built: number[] = [];
    const gate = createAdmissionGate({
      settings: S,
      sampleLoop: () => signals(),
      backlog: () => signals().backlog,
      weightOf: () => 1,
      refusalStatus: (ms) => {
        built.push(ms);
        return overloadedStatus(ms);
      },
      now: () => now,
      logger,
    });
    return { gate, lines, built, advance: (ms: number) => (now += ms) };
  };

  /**
   * One tick's traffic: each tenant offers `n` starts at once; the admitted ones stay in flight
   * together and are answered at the end of the offer, as calls of a surge overlap.
   */
  const offer = (gate: ReturnType<typeof rig>["gate"], tenant: string, n: number) => {
    let admitted = 0;
    const refusals: StatusObject[] = [];
    for (let i = 0; i < n; i++) {
      const refusal = gate.enter("start", tenant);
      if (refusal === undefined) admitted++;
      else refusals.push(refusal);
    }
    for (let i = 0; i < admitted; i++) gate.leave();
    return { admitted, refusals };
  };

  it("sheds a surging tenant from its own share while a calm one loses nothing", () => {
    // A pipeline that carries 100 starts a second: behind after a tick that admitted more.
    let lastAdmitted = 0;
    const r = rig(() => (lastAdmitted > 10 ? { ...calm, backlog: 2_000 } : { ...calm, elu: 0.75 }));
    let calmRefused = 0;
    let surgeAdmitted = 0;
    for (let t = 0; t < 50; t++) {
      // A tenant at one call a second: nothing in nine ticks out of ten, never forgotten.
      if (t % 10 === 5) calmRefused += offer(r.gate, "trickle", 1).refusals.length;
      const c = offer(r.gate, "calm", 2);
      const surge = offer(r.gate, "surge", 200);
      calmRefused += c.refusals.length;
      surgeAdmitted += surge.admitted;
      lastAdmitted = c.admitted + surge.admitted;
      r.advance(100);
      r.gate.tick();
    }
    assert.equal(r.gate.control().limiting, true);
    assert.equal(calmRefused, 0, "the tenants at 20/s and 1/s were never refused");
    assert.ok(surgeAdmitted < 50 * 200 * 0.5, `most of the surge was refused (admitted ${surgeAdmitted})`);
    assert.ok(r.gate.totals().refused.start > 0);
  });

  it("answers refusals with OTP_OVERLOADED and a jittered RetryInfo, built once per delay", () => {
    const r = rig(() => ({ ...hot, backlog: 500 }));
    offer(r.gate, "surge", 50);
    r.advance(100);
    r.gate.tick();
    const { refusals } = offer(r.gate, "surge", 400);
    assert.ok(refusals.length > 300);
    const delays = new Set<number | undefined>();
    for (const s of refusals) {
      assert.equal(s.code, GrpcCode.UNAVAILABLE);
      const decoded = decodeStatusDetails({ code: s.code, details: s.details, metadata: s.metadata });
      assert.equal(decoded.reason, "OTP_OVERLOADED");
      delays.add(decoded.retryAfterMs);
    }
    assert.ok(delays.size > 1, "refused callers are told different delays");
    assert.ok(r.built.length <= 8, `statuses are built per delay, not per refusal (${r.built.length})`);
  });

  it("writes one summary line a second, not one per refusal", () => {
    const r = rig(() => hot);
    offer(r.gate, "surge", 50);
    r.advance(100);
    r.gate.tick();
    offer(r.gate, "surge", 1_000);
    r.gate.flush();
    r.gate.flush();
    assert.deepEqual(r.lines, ["admission refused calls"]);
  });
});
