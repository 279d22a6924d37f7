/**
 * SMPP throughput: submits/s through one bind and through a pool of binds, against the SMSC
 * simulator answering every submit_sm after 20 ms, and bind utilisation against the
 * configured TPS (achieved rate ÷ binds × TPS). Receipts are on, as in production.
 *
 *   npx tsx test/bench/smpp.bench.ts        # prints the table
 *   import { runSmppBench } from "./smpp.bench"
 *
 * Expectations: an unthrottled bind carries about window ÷ round trip (10 ÷ 20 ms = 500/s);
 * a bind limited below that runs at its TPS (utilisation ≈ 100 %).
 */
import { createSmscPool } from "@gateway-smpp/src/smsc-pool";
import { startSmscSimulator } from "@gateway-smpp/src/simulator/smsc-simulator";

export interface SmppBenchCase {
  name: string;
  binds: number;
  window: number;
  /** Configured messages per second per bind. */
  tps: number;
  messages: number;
}

export interface SmppBenchResult extends SmppBenchCase {
  seconds: number;
  submitsPerSecond: number;
  /** submitsPerSecond ÷ (binds × tps). */
  utilisation: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/** The first two are bound by window ÷ round trip, the last two by their TPS. */
export const DEFAULT_CASES: SmppBenchCase[] = [
  { name: "one bind, window-bound", binds: 1, window: 10, tps: 1_000, messages: 3_000 },
  { name: "one bind, window 20", binds: 1, window: 20, tps: 1_000, messages: 4_000 },
  { name: "pool of 4 binds, window-bound", binds: 4, window: 10, tps: 1_000, messages: 8_000 },
  { name: "one bind at 200 TPS", binds: 1, window: 10, tps: 200, messages: 1_000 },
  { name: "pool of 4 binds at 100 TPS", binds: 4, window: 10, tps: 100, messages: 2_000 },
];

const RESPONSE_DELAY_MS = 20;
const SYSTEM_ID = "bench";
const PASSWORD = "bench";

export async function runSmppBench(cases: SmppBenchCase[] = DEFAULT_CASES): Promise<SmppBenchResult[]> {
  const results: SmppBenchResult[] = [];
  for (const benchCase of cases) results.push(await runCase(benchCase));
  return results;
}

async function runCase(benchCase: SmppBenchCase): Promise<SmppBenchResult> {
  const simulator = await startSmscSimulator({
    port: 0,
    credentials: { [SYSTEM_ID]: PASSWORD },
    scenario: { responseDelayMs: RESPONSE_DELAY_MS, default: { receiptDelayMs: 100 } },
  });
  const latencies: number[] = [];
  const pool = createSmscPool<number>({
    binds: Array.from({ length: benchCase.binds }, (_, i) => ({
      name: `bench-${i + 1}`,
      host: "127.0.0.1",
      port: simulator.port,
      bind: { mode: "transceiver" as const, systemId: SYSTEM_ID, password: PASSWORD },
      messagesPerSecond: benchCase.tps,
      window: benchCase.window,
      maxQueued: 100_000,
      onSubmitResponse: (_status: number | undefined, ms: number) => void latencies.push(ms),
    })),
    onReceipt: () => undefined,
    holdReceiptMs: 5_000,
  });
  let errors = 0;
  try {
    await pool.waitUntilBound(10_000);
    // Enough callers to keep every window full, no more (the rest would only queue).
    const concurrency = benchCase.binds * benchCase.window * 2;
    let next = 0;
    const started = performance.now();
    const worker = async (): Promise<void> => {
      while (next < benchCase.messages) {
        const i = next++;
        const destination = `628123${String(i).padStart(6, "0")}`;
        await pool.submit({ source: "Bench", destination, text: `bench ${i}` }, i).catch(() => errors++);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (performance.now() - started) / 1000;
    const submitsPerSecond = benchCase.messages / seconds;
    latencies.sort((a, b) => a - b);
    return {
      ...benchCase,
      seconds,
      submitsPerSecond,
      utilisation: submitsPerSecond / (benchCase.binds * benchCase.tps),
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      errors,
    };
  } finally {
    await pool.close();
    await simulator.close();
  }
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

export function formatSmppBench(results: SmppBenchResult[]): string {
  const header = [
    "case",
    "binds",
    "window",
    "TPS/bind",
    "messages",
    "submits/s",
    "utilisation",
    "resp p50",
    "resp p99",
    "errors",
  ];
  const rows = results.map((r) => [
    r.name,
    String(r.binds),
    String(r.window),
    String(r.tps),
    String(r.messages),
    r.submitsPerSecond.toFixed(0),
    `${(r.utilisation * 100).toFixed(1)} %`,
    `${r.p50Ms.toFixed(1)} ms`,
    `${r.p99Ms.toFixed(1)} ms`,
    String(r.errors),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ");
  return [
    `SMPP bench: simulator response delay ${RESPONSE_DELAY_MS} ms, receipts on`,
    line(header),
    widths.map((w) => "-".repeat(w)).join("-|-"),
    ...rows.map(line),
  ].join("\n");
}

if (require.main === module) {
  runSmppBench().then(
    (results) => process.stdout.write(formatSmppBench(results) + "\n"),
    (err: unknown) => {
      process.stderr.write(`SMPP bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
