/**
 * `npm test`: runs every *.test.ts with node's test runner, each file in a process of its own
 * (run-files.ts says why), in two parts, and prints what each part came to.
 *
 * - The main suite, on a real Kafka broker and a real redis-server that this starts when
 *   KAFKA_BROKERS / REDIS_URL are not given and stops at the end, also on failure or Ctrl-C.
 *   The broker also listens SASL_SSL; TEST_KAFKA_SECURE (JSON of KAFKA_* variables) tells the
 *   transport-security tests how to reach that listener.
 * - Then the fault-injection suite (test/faults): each file starts its own Kafka and Redis and
 *   kills them, so these files run one at a time (FAULT_TEST_CONCURRENCY), after the main suite
 *   has released its broker.
 *
 *   npm test                       # everything
 *   npm test -- gateway-smpp       # only test files whose path contains "gateway-smpp"
 *   npm run test:faults            # only the fault-injection suite
 */
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { startKafka } from "./kafka";
import { startRedis } from "./redis";
import { runFiles, stopRunningFiles } from "./run-files";
import { describeTotals, totalsOf } from "./summary";

const ROOT = path.resolve(__dirname, "../..");
// kafkajs schedules a timer with a negative delay when nothing is throttled (Node warns, then
// waits 1 ms); the test processes and the services they start inherit this like npm start.
process.env.NODE_OPTIONS = [process.env.NODE_OPTIONS, "--disable-warning=TimeoutNegativeWarning"]
  .filter(Boolean)
  .join(" ");
const TEST_ROOTS = ["services", "gateway-smpp", "test"];
const SKIP_DIRS = new Set(["node_modules", "dist", ".cache", "gen"]);
const FAULTS = path.join("test", "faults");

interface Running {
  stop(): Promise<void>;
}

function findTests(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name)) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) findTests(full, out);
    else if (name.endsWith(".test.ts")) out.push(path.relative(ROOT, full));
  }
  return out;
}

async function runSuite(
  name: string,
  files: string[],
  env: NodeJS.ProcessEnv,
  concurrency: string,
): Promise<number> {
  const t0 = Date.now();
  const results = await runFiles(files, {
    root: ROOT,
    // Colours when a person watches; the summary is read either way.
    env: process.stdout.isTTY ? { FORCE_COLOR: "1", ...env } : env,
    concurrency: Number(concurrency),
    testTimeoutMs: Number(process.env.TEST_TIMEOUT_MS ?? "180000"),
    fileTimeoutMs: Number(process.env.FILE_TIMEOUT_MS ?? "1200000"),
  });
  const totals = totalsOf(results);
  console.log(describeTotals(name, totals, Date.now() - t0));
  return totals.failed.length === 0 ? 0 : 1;
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const files = TEST_ROOTS.flatMap((r) => findTests(path.join(ROOT, r)))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort();
  if (files.length === 0) {
    console.error(`no test files match ${filters.join(", ")}`);
    return 1;
  }
  const faults = files.filter((f) => f.startsWith(FAULTS));
  const main = files.filter((f) => !f.startsWith(FAULTS));
  const mainCode = main.length === 0 ? 0 : await runMainSuite(main);
  if (faults.length === 0) return mainCode;
  console.log(
    `test harness: fault-injection suite, ${faults.length} test files, each on its own Kafka and Redis`,
  );
  const onSignal = () => {
    stopRunningFiles();
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const faultCode = await runSuite(
    "fault-injection suite",
    faults,
    { ...process.env },
    process.env.FAULT_TEST_CONCURRENCY ?? "1",
  );
  return mainCode || faultCode;
}

async function runMainSuite(files: string[]): Promise<number> {
  const started: Running[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(started.splice(0).map((s) => s.stop()));
  };
  const onSignal = () => {
    stopRunningFiles();
    void stopAll().then(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    const env: NodeJS.ProcessEnv = { ...process.env };
    const t0 = Date.now();
    const [kafka, redis] = await Promise.all([
      env.KAFKA_BROKERS ? undefined : startKafka({ secure: true }),
      env.REDIS_URL ? undefined : startRedis(),
    ]);
    if (kafka) {
      started.push(kafka);
      env.KAFKA_BROKERS = kafka.brokers;
      if (kafka.secure) env.TEST_KAFKA_SECURE = JSON.stringify(kafka.secure.env);
    }
    if (redis) {
      started.push(redis);
      env.REDIS_URL = redis.url;
    }
    console.log(
      `test harness: Kafka ${env.KAFKA_BROKERS}${kafka ? " (started)" : ""}, ` +
        `Redis ${env.REDIS_URL}${redis ? " (started)" : ""} in ${Date.now() - t0} ms; ${files.length} test files`,
    );
    return await runSuite("main suite", files, env, process.env.TEST_CONCURRENCY ?? "2");
  } finally {
    await stopAll();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error("test harness failed:", err);
    process.exit(1);
  },
);
