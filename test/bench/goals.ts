/** The performance goals of issue #9 (2-core machine, Kafka and Redis beside), each next to its measure. */
import type { BenchResults } from "./report";

export interface GoalCheck {
  goal: string;
  target: string;
  measured: string;
  met: boolean | undefined;
}

const ms = (v: number | undefined): string => (v === undefined ? "n/a" : `${v.toFixed(2)} ms`);

export function checkGoals(r: BenchResults): GoalCheck[] {
  const goals: GoalCheck[] = [];
  const lc = r.lifecycle;
  if (lc) {
    const clean = [lc.closed, ...lc.open].filter((run) => Object.keys(run.errors).length === 0);
    const best = Math.max(0, ...clean.map((run) => run.completedPerSec));
    goals.push({
      goal: "complete OTP lifecycles per second (start → submit_sm → receipt → check)",
      target: "≥ 3,000/s",
      measured: `${best.toFixed(0)}/s`,
      met: best >= 3_000,
    });
    const rate = `${lc.startOnly.offeredPerSec}/s`;
    goals.push({
      goal: `StartVerification p99 at ${rate}`,
      target: "≤ 10 ms",
      measured: ms(lc.startOnly.start.p99Ms),
      met: lc.startOnly.start.errors === 0 && lc.startOnly.start.p99Ms <= 10,
    });
    goals.push({
      goal: `CheckCode p99 at ${lc.checkOnly.offeredPerSec}/s`,
      target: "≤ 5 ms",
      measured: ms(lc.checkOnly.check.p99Ms),
      met: lc.checkOnly.check.errors === 0 && lc.checkOnly.check.p99Ms <= 5,
    });
    goals.push({
      goal: `accept → submit_sm at the SMSC, p99 at ${rate}`,
      target: "≤ 25 ms",
      measured: ms(lc.startOnly.acceptToSubmit.p99Ms),
      met: lc.startOnly.acceptToSubmit.errors === 0 && lc.startOnly.acceptToSubmit.p99Ms <= 25,
    });
  }
  const lateness = r.routing?.["fallback timer lateness: next attempt at the connector"];
  if (lateness) {
    goals.push({
      goal: "fallback timer lateness p99 (next attempt at the connector)",
      target: "≤ 50 ms",
      measured: ms(lateness.p99Ms),
      met: lateness.p99Ms <= 50,
    });
  }
  if (r.shedding) {
    const shed = r.shedding.overloaded;
    goals.push({
      goal: `OTP_OVERLOADED answer p99 (max in flight ${r.shedding.maxInFlight}, flood ${r.shedding.offeredPerSec}/s)`,
      target: "≤ 1 ms",
      measured: shed.count === 0 ? "no call was shed" : ms(shed.p99Ms),
      met: shed.count === 0 ? undefined : shed.p99Ms <= 1,
    });
  }
  for (const t of r.smppThrottle ?? []) {
    goals.push({
      goal: `SMSC throttling above ${t.limitPerSecond}/s, ${t.binds === 1 ? "one bind" : `pool of ${t.binds}`}: accepted rate once settled`,
      target: `≥ 90 % of ${t.limitPerSecond}/s`,
      measured: `${t.acceptedPerSecond.toFixed(1)}/s (${(t.shareOfLimit * 100).toFixed(1)} %)`,
      met: t.shareOfLimit >= 0.9 && t.errors === 0,
    });
    goals.push({
      goal: `SMSC throttling above ${t.limitPerSecond}/s, ${t.binds === 1 ? "one bind" : `pool of ${t.binds}`}: throttled share of submits once settled`,
      target: "≤ 5 %",
      measured: `${(t.throttledShare * 100).toFixed(2)} %`,
      met: t.throttledShare <= 0.05,
    });
  }
  return goals;
}
