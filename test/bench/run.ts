/**
 * `npm run bench [-- --json] [-- --quick]`: benchmarks on a real Kafka broker and redis-server
 * (started here unless KAFKA_BROKERS / REDIS_URL are given). Prints a table, or JSON.
 */
import os from "node:os";
import { startKafka } from "../harness/kafka";
import { startRedis } from "../harness/redis";
import { benchLifecycle } from "./lifecycle.bench";
import { benchRouting } from "./routing.bench";
import { formatSmppBench, runSmppBench, type SmppBenchResult } from "./smpp.bench";
import type { LatencySummary } from "./load";

const json = process.argv.includes("--json");
const quick = process.argv.includes("--quick");

function table(title: string, rows: Record<string, LatencySummary>): string {
  const lines = [
    `\n${title}`,
    "| measure | calls | errors | per second | p50 ms | p99 ms | max ms |",
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const [name, s] of Object.entries(rows)) {
    lines.push(
      `| ${name} | ${s.count} | ${s.errors} | ${s.perSecond.toFixed(0)} | ${s.p50Ms.toFixed(2)} | ${s.p99Ms.toFixed(2)} | ${s.maxMs.toFixed(1)} |`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const stops: (() => Promise<void>)[] = [];
  try {
    if (!process.env.KAFKA_BROKERS) {
      const kafka = await startKafka();
      stops.push(() => kafka.stop());
      process.env.KAFKA_BROKERS = kafka.brokers;
    }
    if (!process.env.REDIS_URL) {
      const redis = await startRedis();
      stops.push(() => redis.stop());
      process.env.REDIS_URL = redis.url;
    }
    const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
    if (!json) console.log(`machine: ${machine}`);
    const results: Record<string, Record<string, LatencySummary>> = {};
    results.routing = await benchRouting(
      quick
        ? { verifications: 100, ratePerSec: 50, print: !json }
        : { verifications: 400, ratePerSec: 100, print: !json },
    );
    const smpp: SmppBenchResult[] = await runSmppBench();
    results.lifecycle = await benchLifecycle(
      quick
        ? { startTotal: 500, concurrency: 32, openRate: 200, openSeconds: 3 }
        : { startTotal: 5000, concurrency: 64, openRate: 500, openSeconds: 10 },
    );
    if (json) {
      process.stdout.write(JSON.stringify({ machine, results, smpp }, null, 2) + "\n");
    } else {
      console.log(
        table("Issuance and verification (real gRPC + Kafka + Redis, one process)", results.lifecycle),
      );
      console.log(`\n${formatSmppBench(smpp)}`);
    }
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
