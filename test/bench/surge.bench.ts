/**
 * A ticket sale at ten times what the platform carries (issue #22), on the deployed platform
 * (every service in its own process, Kafka and Redis beside, the pipeline running): first the
 * platform's capacity (closed loop of complete lifecycles), then a second tenant alone at its
 * normal rate (its calm figures), then the flood — the bench tenant's arrivals ramp from the
 * capacity to ten times it and hold, its users retrying after RetryInfo and tapping again when
 * the SMS is slow — while the second tenant keeps its rate. Figures per tenant and the goals.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { phoneNumbers, createBenchUsers, emptyStages } from "./bench-users";
import { startDeployedStack } from "./deployed-stack";
import { closedLoopFor, summarize, type LatencySummary } from "./load";
import { processCpuSeconds } from "./process-stats";
import { emptyTally, surgeUser, watchHandsets, type SurgeTally, type UserBehaviour } from "./surge-users";

export interface SurgeOptions {
  brokers: string;
  redisUrl: string;
  capacitySeconds: number;
  capacityUsers: number;
  calmSeconds: number;
  /** The second tenant's rate, as a share of the measured capacity. */
  calmShare: number;
  rampSeconds: number;
  holdSeconds: number;
  /** Peak arrivals as a multiple of the measured capacity. */
  peakFactor: number;
  log: (line: string) => void;
}

export interface TenantFigures {
  seconds: number;
  offeredPerSec: number;
  acceptedPerSec: number;
  refusedPerSec: number;
  accepted: LatencySummary;
  refused: LatencySummary;
  /** Share of refusals that carried RetryInfo. */
  refusalsWithRetryInfo: number;
  gaveUp: number;
  lost: number;
  taps: number;
  tapsReused: number;
  timeToCode: LatencySummary;
  check: LatencySummary;
  errors: Record<string, number>;
}

export interface SurgeResult {
  capacityPerSec: number;
  peakOfferedPerSec: number;
  rampSeconds: number;
  holdSeconds: number;
  /** The flooding tenant, during the hold at the peak. */
  surge: TenantFigures;
  /** The second tenant alone, then beside the flood (ramp and hold). */
  calmBaseline: TenantFigures;
  calmUnderFlood: TenantFigures;
  /** Every CheckCode during the flood (both tenants). */
  checkUnderFlood: LatencySummary;
  duplicateSends: number;
  /**
   * Issuance's CPU (ms) per StartVerification it answered during the flood, accepted and refused
   * together, and the same over the calm run: contention on a shared machine stretches
   * latencies, but not these.
   */
  issuanceCpuMsPerStartFlood: number | undefined;
  issuanceCpuMsPerStartCalm: number | undefined;
}

const SURGE_USER: UserBehaviour = { maxRetries: 3, impatientMs: 2_000, smsTimeoutMs: 30_000 };
const CALM_USER: UserBehaviour = { maxRetries: 0, impatientMs: 0, smsTimeoutMs: 30_000 };

/**
 * Connections the flooding tenant's calls spread over. One connection carries at most 100 calls
 * at once (the server's SETTINGS_MAX_CONCURRENT_STREAMS); past that grpc-js queues calls in the
 * client, which would measure the client's queue instead of the server's answers.
 */
const FLOOD_CONNECTIONS = 4;

const pool = <C>(clients: C[]): (() => C) => {
  let next = 0;
  return () => clients[next++ % clients.length]!;
};

export async function benchSurge(o: SurgeOptions): Promise<SurgeResult> {
  o.log("surge: starting the deployed platform …");
  const stack = await startDeployedStack({
    brokers: o.brokers,
    redisUrl: o.redisUrl,
    routingSessionTimeoutMs: 6_000,
  });
  const handsets = watchHandsets((listener) => stack.onHandset(listener));
  const surgeEndpoints = {
    issuance: pool(Array.from({ length: FLOOD_CONNECTIONS }, () => stack.issuanceOnOwnConnection())),
    verification: stack.verification(),
    handsets,
  };
  const calmEndpoints = {
    issuance: pool([stack.calmIssuance()]),
    verification: stack.calmVerification(),
    handsets,
  };
  try {
    const users = createBenchUsers(stack);
    // Warm-up: the services compile and connect, and admission settles on what they carry.
    await closedLoopFor(8, o.capacityUsers, () => users.lifecycle(emptyStages()));
    o.log("surge: capacity (closed loop of complete lifecycles) …");
    const capacity = await closedLoopFor(o.capacitySeconds, o.capacityUsers, () =>
      users.lifecycle(emptyStages()),
    );
    users.close();
    const capacityPerSec = capacity.perSecond;
    await sleep(3_000);
    const calmRate = Math.max(1, capacityPerSec * o.calmShare);
    o.log(
      `surge: capacity ${capacityPerSec.toFixed(0)}/s; second tenant alone at ${calmRate.toFixed(1)}/s …`,
    );
    const issuancePid = stack.services.issuance.pid;
    const cpu0 = processCpuSeconds(issuancePid);
    const calmBaseline = await arrivals(calmRate, calmRate, o.calmSeconds, 0, (phone, t) =>
      surgeUser(calmEndpoints, phone, CALM_USER, t),
    );
    const cpu1 = processCpuSeconds(issuancePid);
    await sleep(2_000);
    const peak = capacityPerSec * o.peakFactor;
    o.log(`surge: flood to ${peak.toFixed(0)}/s over ${o.rampSeconds} s, held ${o.holdSeconds} s …`);
    const floodSeconds = o.rampSeconds + o.holdSeconds;
    const [surge, calmUnderFlood] = await Promise.all([
      arrivals(capacityPerSec, peak, floodSeconds, o.rampSeconds, (phone, t) =>
        surgeUser(surgeEndpoints, phone, SURGE_USER, t),
      ),
      arrivals(calmRate, calmRate, floodSeconds, 0, (phone, t) =>
        surgeUser(calmEndpoints, phone, CALM_USER, t),
      ),
    ]);
    const cpu2 = processCpuSeconds(issuancePid);
    const perStart = (
      from: number | undefined,
      to: number | undefined,
      starts: number,
    ): number | undefined =>
      from === undefined || to === undefined || starts === 0 ? undefined : ((to - from) * 1000) / starts;
    const answered = (f: TenantFigures): number => f.accepted.count + f.refused.count + f.taps;
    return {
      issuanceCpuMsPerStartCalm: perStart(cpu0, cpu1, answered(calmBaseline.all)),
      issuanceCpuMsPerStartFlood: perStart(cpu1, cpu2, answered(surge.all) + answered(calmUnderFlood.all)),
      capacityPerSec,
      peakOfferedPerSec: peak,
      rampSeconds: o.rampSeconds,
      holdSeconds: o.holdSeconds,
      surge: surge.hold,
      calmBaseline: calmBaseline.all,
      calmUnderFlood: calmUnderFlood.all,
      checkUnderFlood: summarize([...surge.checks, ...calmUnderFlood.checks], 0, floodSeconds),
      duplicateSends: handsets.duplicates(),
    };
  } finally {
    handsets.close();
    await stack.close();
  }
}

type User = (phone: string, tally: SurgeTally) => Promise<void>;

/**
 * Open-loop arrivals whose rate rises linearly from `from` to `to` over `rampSeconds`, then
 * holds until `seconds`. Users arriving during the hold are reported apart (the peak).
 */
async function arrivals(
  from: number,
  to: number,
  seconds: number,
  rampSeconds: number,
  user: User,
): Promise<{ all: TenantFigures; hold: TenantFigures; checks: number[] }> {
  const phones = phoneNumbers();
  const all = emptyTally();
  const hold = emptyTally();
  const running: Promise<void>[] = [];
  const t0 = performance.now();
  let offeredAll = 0;
  let offeredHold = 0;
  let next = 0;
  while (next < seconds * 1000) {
    const wait = t0 + next - performance.now();
    if (wait > 1) await sleep(wait);
    const inHold = next >= rampSeconds * 1000;
    const rate = inHold ? to : from + ((to - from) * next) / (rampSeconds * 1000);
    offeredAll++;
    if (inHold) offeredHold++;
    const tally = inHold ? hold : all;
    running.push(user(phones(), tally));
    next += 1000 / rate;
  }
  await Promise.all(running);
  const merged = mergeTallies(all, hold);
  return {
    all: figuresOf(merged, offeredAll, seconds),
    hold: figuresOf(hold, offeredHold, seconds - rampSeconds),
    checks: merged.check,
  };
}

function mergeTallies(a: SurgeTally, b: SurgeTally): SurgeTally {
  const errors = { ...a.errors };
  for (const [k, n] of Object.entries(b.errors)) errors[k] = (errors[k] ?? 0) + n;
  return {
    accepted: [...a.accepted, ...b.accepted],
    refused: [...a.refused, ...b.refused],
    refusedWithRetryInfo: a.refusedWithRetryInfo + b.refusedWithRetryInfo,
    taps: a.taps + b.taps,
    tapsReused: a.tapsReused + b.tapsReused,
    gaveUp: a.gaveUp + b.gaveUp,
    lost: a.lost + b.lost,
    timeToCode: [...a.timeToCode, ...b.timeToCode],
    check: [...a.check, ...b.check],
    errors,
  };
}

function figuresOf(t: SurgeTally, offered: number, seconds: number): TenantFigures {
  return {
    seconds,
    offeredPerSec: offered / seconds,
    acceptedPerSec: t.accepted.length / seconds,
    refusedPerSec: t.refused.length / seconds,
    accepted: summarize(t.accepted, 0, seconds),
    refused: summarize(t.refused, 0, seconds),
    refusalsWithRetryInfo: t.refused.length === 0 ? 1 : t.refusedWithRetryInfo / t.refused.length,
    gaveUp: t.gaveUp,
    lost: t.lost,
    taps: t.taps,
    tapsReused: t.tapsReused,
    timeToCode: summarize(t.timeToCode, 0, seconds),
    check: summarize(t.check, 0, seconds),
    errors: t.errors,
  };
}
