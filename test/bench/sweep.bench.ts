/**
 * Capacity sweep: StartVerification in open loop at rates stepped geometrically, each step
 * held for a few seconds with the whole pipeline running behind it. The answer is the highest
 * arrival rate whose p99 stays within the target; the sweep stops early once calls fail, the
 * p99 explodes or the process no longer keeps up with the arrivals.
 */
import { createBenchUsers, emptyStages } from "./bench-users";
import { settle } from "./lifecycle.bench";
import { openLoop, type LatencySummary } from "./load";
import type { SmsPlatform } from "./sms-platform";

export interface SweepOptions {
  fromRate: number;
  /** Each step multiplies the rate by this (√2 or 2). */
  factor: number;
  maxRate: number;
  secondsPerStep: number;
  targetP99Ms: number;
  /** How long to let the pipeline drain a step's backlog before the next step, at most. */
  settleMs: number;
}

export interface SweepStep {
  offeredPerSec: number;
  start: LatencySummary;
  withinTarget: boolean;
}

export interface SweepResult {
  targetP99Ms: number;
  steps: SweepStep[];
  /** Highest rate with p99 ≤ target (0 when even the first step missed it). */
  bestRate: number;
  stoppedBecause: string;
}

/** p99 this many times the target: queueing has run away, higher rates only get worse. */
const EXPLODED = 50;

export async function benchSweep(h: SmsPlatform, o: SweepOptions): Promise<SweepResult> {
  const users = createBenchUsers(h);
  const steps: SweepStep[] = [];
  let bestRate = 0;
  let stoppedBecause = `reached ${o.maxRate}/s`;
  for (
    let step = 0, rate = o.fromRate;
    rate <= o.maxRate;
    rate = Math.round(o.fromRate * o.factor ** ++step)
  ) {
    const start = await openLoop(rate, o.secondsPerStep, () => users.start(emptyStages()));
    const withinTarget = start.errors === 0 && start.p99Ms <= o.targetP99Ms;
    steps.push({ offeredPerSec: rate, start, withinTarget });
    if (withinTarget) bestRate = rate;
    await settle(h, o.settleMs);
    if (start.errors > 0) {
      stoppedBecause = `${start.errors} errors at ${rate}/s`;
      break;
    }
    if (start.p99Ms > EXPLODED * o.targetP99Ms) {
      stoppedBecause = `p99 ${start.p99Ms.toFixed(0)} ms at ${rate}/s (over ${EXPLODED} × target)`;
      break;
    }
    if (start.perSecond < 0.8 * rate) {
      stoppedBecause = `answers ${start.perSecond.toFixed(0)}/s fell behind ${rate}/s arrivals`;
      break;
    }
  }
  users.close();
  return { targetP99Ms: o.targetP99Ms, steps, bestRate, stoppedBecause };
}
