/**
 * Throttling: an SMSC that accepts N submit_sm per second for the account and answers 0x58 above
 * it, against one bind and against a pool of four configured far above N. The gateway should
 * learn the rate: sustain ≥ 90 % of N with ≤ 5 % of its submits throttled once settled (after
 * `settleSeconds`). Measured from the simulator's counters, so retries are counted as submits.
 *
 *   npx tsx test/bench/smpp-throttle.bench.ts
 */
import { createSmscPool } from "@gateway-smpp/src/smsc-pool";
import { startSmscSimulator } from "@gateway-smpp/src/simulator/smsc-simulator";

export interface ThrottleBenchCase {
  name: string;
  binds: number;
  /** The SMSC's limit per second for the account. */
  limitPerSecond: number;
  /** Configured messages per second per bind (far above the limit). */
  tps: number;
}

export interface ThrottleBenchResult extends ThrottleBenchCase {
  settleSeconds: number;
  measuredSeconds: number;
  /** Accepted submits per second once settled. */
  acceptedPerSecond: number;
  /** acceptedPerSecond ÷ limitPerSecond (goal ≥ 0.9). */
  shareOfLimit: number;
  /** Throttled answers ÷ submits once settled (goal ≤ 0.05). */
  throttledShare: number;
  /** The account's learned rate at the end. */
  learnedRate: number;
  errors: number;
}

const THROTTLE_CASES: ThrottleBenchCase[] = [50, 100, 400].flatMap((limitPerSecond) => [
  { name: `one bind, SMSC limit ${limitPerSecond}/s`, binds: 1, limitPerSecond, tps: 2_000 },
  { name: `pool of 4, SMSC limit ${limitPerSecond}/s`, binds: 4, limitPerSecond, tps: 500 },
]);

const RESPONSE_DELAY_MS = 5;
const WINDOW = 20;

export async function runThrottleBench(
  cases: ThrottleBenchCase[] = THROTTLE_CASES,
  timing = { settleSeconds: 5, measuredSeconds: 15 },
): Promise<ThrottleBenchResult[]> {
  const results: ThrottleBenchResult[] = [];
  for (const c of cases) results.push(await runCase(c, timing.settleSeconds, timing.measuredSeconds));
  return results;
}

async function runCase(c: ThrottleBenchCase, settleSeconds: number, measuredSeconds: number) {
  const simulator = await startSmscSimulator({
    port: 0,
    credentials: { bench: "bench" },
    scenario: { responseDelayMs: RESPONSE_DELAY_MS, throttlePerSecond: c.limitPerSecond },
  });
  const pool = createSmscPool<number>({
    binds: Array.from({ length: c.binds }, (_, i) => ({
      name: `throttle-${i + 1}`,
      host: "127.0.0.1",
      port: simulator.port,
      bind: { mode: "transmitter" as const, systemId: "bench", password: "bench" },
      messagesPerSecond: c.tps,
      window: WINDOW,
      maxQueued: 100_000,
      retry: { maxThrottledRetries: 1_000 },
    })),
    onReceipt: () => undefined,
  });
  let errors = 0;
  try {
    await pool.waitUntilBound(10_000);
    const end = Date.now() + (settleSeconds + measuredSeconds) * 1000;
    let i = 0;
    const worker = async (): Promise<void> => {
      while (Date.now() < end) {
        const n = i++;
        const destination = `628124${String(n % 1e6).padStart(6, "0")}`;
        await pool.submit({ source: "Bench", destination, text: `bench ${n}` }, n).catch(() => errors++);
      }
    };
    const workers = Promise.all(Array.from({ length: c.binds * WINDOW * 2 }, worker));
    await sleep(settleSeconds * 1000);
    const before = simulator.stats();
    await sleep(measuredSeconds * 1000);
    const after = simulator.stats();
    const learnedRate = pool.stats().accountRate;
    await workers;
    const accepted = after.accepted - before.accepted;
    const throttled = after.throttled - before.throttled;
    const acceptedPerSecond = accepted / measuredSeconds;
    return {
      ...c,
      settleSeconds,
      measuredSeconds,
      acceptedPerSecond,
      shareOfLimit: acceptedPerSecond / c.limitPerSecond,
      throttledShare: throttled / Math.max(1, accepted + throttled),
      learnedRate,
      errors,
    };
  } finally {
    await pool.close();
    await simulator.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function formatThrottleBench(results: ThrottleBenchResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.name} | ${r.acceptedPerSecond.toFixed(1)}/s | ${(r.shareOfLimit * 100).toFixed(1)} % (≥ 90 %) | ` +
      `${(r.throttledShare * 100).toFixed(2)} % (≤ 5 %) | ${r.learnedRate.toFixed(1)}/s | ${r.errors} |`,
  );
  return [
    `SMPP under throttling (simulator answers 0x58 above the limit; response delay ${RESPONSE_DELAY_MS} ms, window ${WINDOW}; settled after ${results[0]?.settleSeconds ?? 0} s, measured ${results[0]?.measuredSeconds ?? 0} s)`,
    "| case | accepted | of the limit | throttled | learned rate | errors |",
    "|---|---:|---:|---:|---:|---:|",
    ...rows,
  ].join("\n");
}

if (require.main === module) {
  runThrottleBench().then(
    (results) => process.stdout.write(formatThrottleBench(results) + "\n"),
    (err: unknown) => {
      process.stderr.write(`throttle bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
