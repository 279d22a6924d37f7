/**
 * The performance goals of issues #9, #15 and #18 (2-core machine, Kafka and Redis beside), each next
 * to its measure. The deployed phase's goals are marked "(deployed)".
 */
import type { DeployedResult } from "./deployed.bench";
import type { BenchResults } from "./report";
import type { SurgeResult } from "./surge.bench";

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
  if (r.deployed) goals.push(...deployedGoals(r.deployed));
  if (r.shedding) {
    const shed = r.shedding.overloaded;
    goals.push({
      goal: `OTP_OVERLOADED answer p99 (max in flight ${r.shedding.maxInFlight}, flood ${r.shedding.offeredPerSec}/s)`,
      target: "≤ 1 ms",
      measured: shed.count === 0 ? "no call was shed" : ms(shed.p99Ms),
      met: shed.count === 0 ? undefined : shed.p99Ms <= 1,
    });
  }
  if (r.surge) goals.push(...surgeGoals(r.surge));
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
  const peer = r.smppPeer;
  if (peer) {
    goals.push({
      goal: "gateway-smpp full path (dispatch event → submit_sm → receipt → event) vs Kannel (sendsms → DLR callback): messages per CPU second of own processes",
      target: "≥ 1.5 × Kannel",
      measured:
        peer.cpuEfficiencyRatio === undefined
          ? `Kannel not installed (${peer.ours.messagesPerCpuSecond.toFixed(0)} per CPU s here)`
          : `× ${peer.cpuEfficiencyRatio.toFixed(2)} (${peer.ours.messagesPerCpuSecond.toFixed(0)} vs ${peer.kannel?.messagesPerCpuSecond.toFixed(0)} per CPU s)`,
      met:
        peer.cpuEfficiencyRatio === undefined
          ? undefined
          : peer.cpuEfficiencyRatio >= 1.5 && peer.ours.lost === 0,
    });
  }
  return goals;
}

/** Issue #22's goals: the flood at ten times capacity, next to the calm figures. */
function surgeGoals(s: SurgeResult): GoalCheck[] {
  const within = (flood: number, calm: number): boolean => flood <= calm * 1.2;
  const calm = s.calmBaseline;
  const beside = s.calmUnderFlood;
  const share = s.surge.acceptedPerSec / s.capacityPerSec;
  return [
    {
      goal: `(surge) refusals answered at ${s.peakOfferedPerSec.toFixed(0)}/s offered, each with RetryInfo`,
      target: "p99 ≤ 2 ms, 100 %",
      measured: `p99 ${ms(s.surge.refused.p99Ms)}, ${(s.surge.refusalsWithRetryInfo * 100).toFixed(1)} % (${s.surge.refused.count} refusals)`,
      met: s.surge.refused.count > 0 && s.surge.refused.p99Ms <= 2 && s.surge.refusalsWithRetryInfo === 1,
    },
    {
      goal: "(surge) admitted StartVerification under the flood",
      target: "p99 ≤ 50 ms",
      measured: ms(s.surge.accepted.p99Ms),
      met: s.surge.accepted.count > 0 && s.surge.accepted.p99Ms <= 50,
    },
    {
      goal: `(surge) accepted starts/s under the flood vs measured capacity ${s.capacityPerSec.toFixed(0)}/s`,
      target: "≥ 90 %",
      measured: `${s.surge.acceptedPerSec.toFixed(0)}/s (${(share * 100).toFixed(0)} %)`,
      met: share >= 0.9,
    },
    {
      goal: `(surge) second tenant at ${calm.offeredPerSec.toFixed(1)}/s: StartVerification p99 beside the flood vs alone, nothing lost`,
      target: "within 20 %, 0 lost",
      measured: `${ms(beside.accepted.p99Ms)} vs ${ms(calm.accepted.p99Ms)}; ${beside.refused.count} refused, ${beside.lost} lost`,
      met:
        within(beside.accepted.p99Ms, calm.accepted.p99Ms) &&
        beside.refused.count === 0 &&
        beside.lost === 0 &&
        Object.keys(beside.errors).length === 0,
    },
    {
      goal: "(surge) CheckCode p99 under the flood vs the calm figure",
      target: "within 20 %",
      measured: `${ms(s.checkUnderFlood.p99Ms)} vs ${ms(calm.check.p99Ms)}`,
      met: within(s.checkUnderFlood.p99Ms, calm.check.p99Ms),
    },
    {
      goal: "(surge) duplicate sends from repeated taps",
      target: "0",
      measured: `${s.duplicateSends} (${s.surge.taps} taps, ${s.surge.tapsReused} answered reused)`,
      met: s.duplicateSends === 0,
    },
  ];
}

function deployedGoals(d: DeployedResult): GoalCheck[] {
  const s = d.summary;
  const rate = `${s.latencyRatePerSec}/s`;
  const latencyOk = s.latencyErrors === 0;
  const t = d.takeover;
  const takeover =
    s.takeoverMs === undefined
      ? "not served again"
      : `${(s.takeoverMs / 1000).toFixed(2)} s (${t.partitions.length} partitions), ${t.lost} lost, ${t.sentTwice} sent twice`;
  return [
    {
      goal: "(deployed) complete SMS lifecycles per second, services in separate processes",
      target: "≥ 1,000/s",
      measured: `${s.lifecyclesPerSec.toFixed(0)}/s`,
      met: s.lifecyclesPerSec >= 1_000,
    },
    {
      goal: `(deployed) CPU per complete lifecycle: services + Kafka + Redis (${s.capacityRun})`,
      target: "≤ 1.5 ms",
      measured: ms(s.platformCpuMsPerLifecycle),
      met: s.platformCpuMsPerLifecycle === undefined ? undefined : s.platformCpuMsPerLifecycle <= 1.5,
    },
    {
      goal: "(deployed) CPU per complete lifecycle: the above + SMSC simulator + load generator",
      target: "≤ 2 ms",
      measured: ms(s.totalCpuMsPerLifecycle),
      met: s.totalCpuMsPerLifecycle === undefined ? undefined : s.totalCpuMsPerLifecycle <= 2,
    },
    {
      goal: `(deployed) StartVerification p99 at ${rate}, pipeline running`,
      target: "≤ 10 ms",
      measured: ms(s.startP99Ms),
      met: latencyOk && s.startP99Ms <= 10,
    },
    {
      goal: `(deployed) CheckCode p99 at ${rate}, pipeline running`,
      target: "≤ 5 ms",
      measured: ms(s.checkP99Ms),
      met: latencyOk && s.checkP99Ms <= 5,
    },
    {
      goal: `(deployed) accept → submit_sm at the SMSC, p99 at ${rate}`,
      target: "≤ 25 ms",
      measured: ms(s.acceptToSubmitP99Ms),
      met: latencyOk && s.acceptToSubmitP99Ms <= 25,
    },
    {
      goal: "(deployed) Redis round trips per complete lifecycle (MONITOR)",
      target: "≤ 10",
      measured: `${s.redisRoundTripsPerLifecycle.toFixed(1)} (${s.redisCommandsPerLifecycle.toFixed(1)} commands incl. inside scripts)`,
      met: s.redisRoundTripsPerLifecycle <= 10,
    },
    {
      goal: `(deployed) takeover: SIGKILL of 1 of 2 routing replicas at ${t.offeredPerSec}/s → its partitions served again (ROUTING_SESSION_TIMEOUT_MS=${d.routingSessionTimeoutMs})`,
      target: "≤ 5 s, none lost, none sent twice",
      measured: takeover,
      met:
        s.takeoverMs !== undefined &&
        s.takeoverMs <= 5_000 &&
        s.takeoverLost === 0 &&
        s.takeoverSentTwice === 0,
    },
  ];
}
