/**
 * A real Apache Kafka broker for tests: KRaft, single node, on 127.0.0.1 with free ports,
 * run with `java` from the jars Maven resolves (test/kafka/pom.xml, cached in .cache/kafka).
 * KAFKA_VERSION selects the release (default in test/kafka/jars.ts, reasons in
 * docs/adr/0002-kafka-version.md); KAFKA_START_TIMEOUT_MS bounds the wait for readiness.
 *
 *   const kafka = await startKafka();
 *   process.env.KAFKA_BROKERS = kafka.brokers;
 *   ...
 *   await kafka.stop();
 *
 * With `secure: true` the broker also listens SASL_SSL (SCRAM-SHA-512 users made at format time
 * with `kafka-storage format --add-scram`, certificates made here with openssl, client
 * certificates required); `secure.env` holds the KAFKA_* variables a client needs to reach it.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Kafka, logLevel } from "kafkajs";
import {
  type BrokerLayout,
  newClusterId,
  SCRAM_MECHANISM,
  serverPropertiesPath,
  writeLoggingConfig,
  writeServerProperties,
} from "../kafka/broker-config";
import { type KafkaDistribution, kafkaVersionFromEnv, resolveKafka } from "../kafka/jars";
import { createTestCa } from "../certs";

export interface KafkaBroker {
  /** bootstrap servers, e.g. "127.0.0.1:41234" */
  brokers: string;
  version: string;
  /** The broker's JVM process id while it runs (benchmarks read its memory in /proc). */
  readonly pid: number | undefined;
  /** Graceful shutdown (SIGTERM, SIGKILL after a timeout); removes the data. Final. */
  stop(): Promise<void>;
  /** SIGKILL, as in a power cut; the data stays for restart(). */
  kill(): Promise<void>;
  /** Starts the same broker again on the same ports and data (stopping it first if it runs). */
  restart(): Promise<void>;
  /** The SASL_SSL listener, when started with `secure: true`. */
  secure?: SecureAccess;
}

export interface SecureAccess {
  /** bootstrap servers of the SASL_SSL listener */
  brokers: string;
  /** What a client of the project reads (kafkaSecurityFromEnv): broker, CA, certificate, user. */
  env: Record<string, string>;
}

export interface StartKafkaOptions {
  /** Where the broker's log goes (kept after stop); defaults to the broker's temp dir. */
  logDir?: string;
  /** Also listen SASL_SSL (see the top of this file). */
  secure?: boolean;
}

/** The SCRAM user of the secure listener. */
const SCRAM_USER = "otp-test";

const JVM_FLAGS = [
  "-Xms128m",
  "-Xmx512m",
  "-XX:+UseSerialGC",
  "-XX:+ExitOnOutOfMemoryError",
  "-Djava.awt.headless=true",
];
const STOP_GRACE_MS = 30_000;

export async function startKafka(opts: StartKafkaOptions = {}): Promise<KafkaBroker> {
  const dist = await resolveKafka(kafkaVersionFromEnv());
  // The free ports are free when picked; another process may take one before the JVM binds.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startBroker(dist, opts);
    } catch (err) {
      const portTaken = err instanceof Error && err.message.includes("Address already in use");
      if (!portTaken || attempt >= 3) throw err;
    }
  }
}

async function startBroker(dist: KafkaDistribution, opts: StartKafkaOptions): Promise<KafkaBroker> {
  const [brokerPort, controllerPort, securePort] = await freePorts(3);
  const layout: BrokerLayout = {
    dir: mkdtempSync(path.join(os.tmpdir(), "otp-kafka-")),
    brokerPort: brokerPort!,
    controllerPort: controllerPort!,
  };
  const secure = opts.secure ? writeSecureListenerFiles(layout, securePort!) : undefined;
  if (opts.logDir) mkdirSync(opts.logDir, { recursive: true });
  const logFile = path.join(opts.logDir ?? layout.dir, `kafka-${layout.brokerPort}.log`);
  const brokers = `127.0.0.1:${layout.brokerPort}`;
  writeServerProperties(layout);
  const loggingFlag = writeLoggingConfig(layout, dist.logging);
  try {
    formatStorage(dist, layout, loggingFlag, secure?.scramPassword);
  } catch (err) {
    rmSync(layout.dir, { recursive: true, force: true });
    throw err;
  }

  let broker: RunningBroker | undefined;
  let finished = false;
  const start = async (): Promise<void> => {
    broker = launch(dist, layout, loggingFlag, logFile);
    try {
      await waitUntilReady(brokers, broker, logFile);
    } catch (err) {
      await broker.terminate("SIGKILL");
      throw err;
    }
  };
  const cleanup = (): void => {
    finished = true;
    rmSync(layout.dir, { recursive: true, force: true });
  };

  try {
    await start();
  } catch (err) {
    cleanup();
    throw err;
  }
  return {
    brokers,
    version: dist.version,
    secure: secure?.access,
    get pid() {
      return broker?.isRunning() ? broker.pid : undefined;
    },
    async stop() {
      if (finished) return;
      await broker?.terminate("SIGTERM");
      cleanup();
    },
    async kill() {
      await broker?.terminate("SIGKILL");
    },
    async restart() {
      if (finished) throw new Error("the Kafka broker was stopped; start a new one");
      await broker?.terminate("SIGTERM");
      await start();
    },
  };
}

export interface RunningBroker {
  pid: number | undefined;
  exited: Promise<void>;
  isRunning(): boolean;
  exitSummary(): string;
  /** Sends the signal, escalates to SIGKILL after STOP_GRACE_MS, resolves when exited. */
  terminate(signal: "SIGTERM" | "SIGKILL"): Promise<void>;
}

export function launch(
  dist: KafkaDistribution,
  layout: BrokerLayout,
  loggingFlag: string,
  logFile: string,
): RunningBroker {
  const out = openSync(logFile, "a");
  const child = spawn(
    javaBinary(),
    [...JVM_FLAGS, loggingFlag, "-cp", dist.classpath, "kafka.Kafka", serverPropertiesPath(layout)],
    { stdio: ["ignore", out, out] },
  );
  closeSync(out);
  let summary = "";
  const killOnExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  process.on("exit", killOnExit);
  const exited = new Promise<void>((resolve) => {
    child.on("error", (err) => {
      summary = `could not start java: ${err.message}`;
      resolve();
    });
    child.on("exit", (code, signal) => {
      summary = signal ? `killed by ${signal}` : `exited with code ${code}`;
      resolve();
    });
  }).finally(() => process.off("exit", killOnExit));
  if (child.pid !== undefined) startOrphanWatchdog(child.pid, layout.dir);

  const isRunning = (): boolean => child.exitCode === null && child.signalCode === null && summary === "";
  return {
    pid: child.pid,
    exited,
    isRunning,
    exitSummary: () => summary,
    async terminate(signal) {
      if (!isRunning()) return;
      child.kill(signal);
      const done = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
      if (!done) {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
}

/**
 * If this process dies without running its exit hooks (SIGKILL, an unhandled SIGINT), the
 * JVM would live on: a detached shell kills it, and removes its data, once this process is gone.
 */
function startOrphanWatchdog(javaPid: number, dataDir: string): void {
  const script =
    `while kill -0 ${process.pid} 2>/dev/null; do ` +
    `kill -0 ${javaPid} 2>/dev/null || exit 0; sleep 1; done; ` +
    `kill -9 ${javaPid} 2>/dev/null; sleep 1; rm -rf "$0"`;
  spawn("sh", ["-c", script, dataDir], { detached: true, stdio: "ignore" }).unref();
}

/**
 * Certificates for the SASL_SSL listener (a CA of the test's own, the broker's certificate for
 * 127.0.0.1, one client certificate) and a random SCRAM password; files live in the broker's
 * directory and go with it.
 */
function writeSecureListenerFiles(
  layout: BrokerLayout,
  port: number,
): { access: SecureAccess; scramPassword: string } {
  const ca = createTestCa("otp-router test Kafka CA");
  try {
    const broker = ca.issue("kafka-test-broker", {
      usage: "server",
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1"],
    });
    const client = ca.issue("otp-test-client", { usage: "client" });
    const file = (name: string, content: Buffer | string): string => {
      const full = path.join(layout.dir, name);
      writeFileSync(full, content, { mode: 0o600 });
      return full;
    };
    layout.secure = {
      port,
      keystoreFile: file("broker-keystore.pem", Buffer.concat([broker.cert, broker.key])),
      truststoreFile: file("client-ca.pem", ca.ca),
    };
    const scramPassword = randomBytes(18).toString("base64url");
    const brokers = `127.0.0.1:${port}`;
    return {
      scramPassword,
      access: {
        brokers,
        env: {
          KAFKA_BROKERS: brokers,
          KAFKA_TLS_CA: file("ca.pem", ca.ca),
          KAFKA_TLS_CERT: file("client.crt", client.cert),
          KAFKA_TLS_KEY: file("client.key", client.key),
          KAFKA_SASL_MECHANISM: SCRAM_MECHANISM.toLowerCase(),
          KAFKA_SASL_USERNAME: SCRAM_USER,
          KAFKA_SASL_PASSWORD: scramPassword,
        },
      },
    };
  } finally {
    ca.remove();
  }
}

/**
 * `scramPassword`: the SASL_SSL listener's user, made while formatting; `clusterId`: the same for
 * every member of a cluster, a single node draws its own.
 */
export function formatStorage(
  dist: KafkaDistribution,
  layout: BrokerLayout,
  loggingFlag: string,
  scramPassword: string | undefined,
  clusterId = newClusterId(),
): void {
  const result = spawnSync(
    javaBinary(),
    [
      "-Xmx256m",
      loggingFlag,
      "-cp",
      dist.classpath,
      "kafka.tools.StorageTool",
      "format",
      "-t",
      clusterId,
      "-c",
      serverPropertiesPath(layout),
      ...(scramPassword === undefined
        ? []
        : ["--add-scram", `${SCRAM_MECHANISM}=[name=${SCRAM_USER},password=${scramPassword}]`]),
    ],
    { encoding: "utf8", timeout: 120_000 },
  );
  if (result.status !== 0) {
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim();
    throw new Error(
      `kafka StorageTool format failed (${result.error?.message ?? `exit ${result.status}`}):\n${output}`,
    );
  }
}

/** `expectBrokers`: how many brokers the cluster must report registered (default 1). */
export async function waitUntilReady(
  brokers: string,
  broker: RunningBroker,
  logFile: string,
  expectBrokers = 1,
): Promise<void> {
  const timeoutMs = Number(process.env.KAFKA_START_TIMEOUT_MS ?? 120_000);
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  while (Date.now() < deadline) {
    if (!broker.isRunning()) {
      await broker.exited;
      throw new Error(`Kafka broker ${broker.exitSummary()} before it was ready.\n${logTail(logFile)}`);
    }
    try {
      await probe(brokers, expectBrokers);
      return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await sleep(300);
  }
  throw new Error(
    `Kafka broker at ${brokers} not ready within ${timeoutMs} ms (last error: ${lastError}).\n${logTail(logFile)}`,
  );
}

/** Ready means: the broker answers, knows itself as a cluster member, and serves metadata. */
async function probe(brokers: string, expectBrokers: number): Promise<void> {
  const admin = new Kafka({
    clientId: "test-harness-probe",
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length < expectBrokers)
      throw new Error(`${cluster.brokers.length} of ${expectBrokers} brokers registered`);
    await admin.listTopics();
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function logTail(logFile: string, lines = 60): string {
  if (!existsSync(logFile)) return `(no broker log at ${logFile})`;
  const tail = readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  return `--- last ${lines} lines of ${logFile} ---\n${tail}`;
}

function javaBinary(): string {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, "bin", "java") : "java";
}

/** Ports the OS hands out as free, held open together so they are distinct. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  const ports = await Promise.all(
    servers.map(
      (server) =>
        new Promise<number>((resolve, reject) => {
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            if (address && typeof address === "object") resolve(address.port);
            else reject(new Error("no port"));
          });
        }),
    ),
  );
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
