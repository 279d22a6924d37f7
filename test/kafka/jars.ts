/**
 * The Apache Kafka jars for the test broker: resolved from Maven Central by test/kafka/pom.xml
 * and copied once into .cache/kafka/<version>/libs, so later runs start without Maven.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

/** The newest Kafka release kafkajs 2.2.4 passes the bus contract with; see docs/adr/0002. */
const DEFAULT_KAFKA_VERSION = "4.4.0";

const ROOT = path.resolve(__dirname, "../..");
const POM = path.join(__dirname, "pom.xml");
const COMPLETE_MARKER = ".complete";

export interface KafkaDistribution {
  version: string;
  /** Kafka 4.x logs through log4j2, 3.x through log4j 1 (reload4j). */
  logging: "log4j2" | "reload4j";
  /** A java -cp value. */
  classpath: string;
}

export function kafkaVersionFromEnv(): string {
  const version = process.env.KAFKA_VERSION?.trim() || DEFAULT_KAFKA_VERSION;
  if (!/^\d+\.\d+\.\d+$/.test(version))
    throw new Error(`KAFKA_VERSION must look like 4.4.0, got "${version}"`);
  return version;
}

/** Returns the jars for `version`, running Maven only when the cache does not have them yet. */
export async function resolveKafka(version: string): Promise<KafkaDistribution> {
  const logging = Number(version.split(".")[0]) >= 4 ? "log4j2" : "reload4j";
  const libs = path.join(ROOT, ".cache", "kafka", version, "libs");
  if (!existsSync(path.join(libs, COMPLETE_MARKER))) await copyJars(version, logging, libs);
  return { version, logging, classpath: path.join(libs, "*") };
}

async function copyJars(version: string, logging: KafkaDistribution["logging"], libs: string): Promise<void> {
  // Copy into a private directory and rename it at the end, so two test processes resolving
  // at once never see (or leave) a half-filled cache.
  const staging = `${libs}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(path.dirname(libs), { recursive: true });
  const args = [
    "-B",
    "-q",
    "-Dstyle.color=never",
    "-f",
    POM,
    `-Dkafka.version=${version}`,
    ...(logging === "reload4j" ? ["-Dkafka.logging=reload4j"] : []),
    "dependency:copy-dependencies",
    "-DincludeScope=runtime",
    `-DoutputDirectory=${staging}`,
  ];
  const { code, output } = await run("mvn", args);
  if (code !== 0) {
    rmSync(staging, { recursive: true, force: true });
    // Leave no empty .cache/kafka/<version> behind (rmdir refuses if another process uses it).
    try {
      rmdirSync(path.dirname(libs));
    } catch {
      // not empty: another process is resolving or has resolved this version
    }
    throw new Error(`mvn could not resolve Apache Kafka ${version} (exit ${code}):\n${output.slice(-4000)}`);
  }
  writeFileSync(path.join(staging, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
  if (existsSync(path.join(libs, COMPLETE_MARKER))) {
    // Another process finished first (and may be running from its copy): keep that one.
    rmSync(staging, { recursive: true, force: true });
    return;
  }
  rmSync(libs, { recursive: true, force: true });
  renameSync(staging, libs);
}

function run(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", (err) =>
      reject(new Error(`cannot run ${command} (is Maven installed?): ${err.message}`, { cause: err })),
    );
    child.on("exit", (code) => resolve({ code: code ?? 1, output }));
  });
}
