/**
 * `npm test`: starts a real Kafka broker and a real redis-server when KAFKA_BROKERS / REDIS_URL
 * are not given, runs every *.test.ts with node's test runner, and stops both at the end, also
 * on failure or Ctrl-C.
 *
 *   npm test                       # everything
 *   npm test -- gateway-smpp       # only test files whose path contains "gateway-smpp"
 *   npm run test:faults            # the fault-injection suite (test/faults), left out of `npm test`:
 *                                  # each file runs its own Kafka and Redis and kills them
 */
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { startKafka } from "./kafka";
import { startRedis } from "./redis";

const ROOT = path.resolve(__dirname, "../..");
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

function runNodeTests(files: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const args = [
    "--import",
    "tsx",
    "--disable-warning=TimeoutNegativeWarning",
    "--test",
    "--test-reporter=spec",
    `--test-concurrency=${process.env.TEST_CONCURRENCY ?? "2"}`,
    `--test-timeout=${process.env.TEST_TIMEOUT_MS ?? "180000"}`,
    ...files,
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: "inherit" });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const files = TEST_ROOTS.flatMap((r) => findTests(path.join(ROOT, r)))
    .filter((f) => (filters.length === 0 ? !f.startsWith(FAULTS) : filters.some((x) => f.includes(x))))
    .sort();
  if (files.length === 0) {
    console.error(`no test files match ${filters.join(", ")}`);
    return 1;
  }

  const started: Running[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(started.splice(0).map((s) => s.stop()));
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      void stopAll().then(() => process.exit(130));
    });
  }

  try {
    const env: NodeJS.ProcessEnv = { ...process.env };
    const t0 = Date.now();
    const [kafka, redis] = await Promise.all([
      env.KAFKA_BROKERS ? undefined : startKafka(),
      env.REDIS_URL ? undefined : startRedis(),
    ]);
    if (kafka) {
      started.push(kafka);
      env.KAFKA_BROKERS = kafka.brokers;
    }
    if (redis) {
      started.push(redis);
      env.REDIS_URL = redis.url;
    }
    console.log(
      `test harness: Kafka ${env.KAFKA_BROKERS}${kafka ? " (started)" : ""}, ` +
        `Redis ${env.REDIS_URL}${redis ? " (started)" : ""} in ${Date.now() - t0} ms; ${files.length} test files`,
    );
    return await runNodeTests(files, env);
  } finally {
    await stopAll();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error("test harness failed:", err);
    process.exit(1);
  },
);
