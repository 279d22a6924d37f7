/**
 * A three-broker Apache Kafka cluster for the suites that need failover (not only an outage):
 * the same jars and JVM settings as the single test broker (kafka.ts), three processes on
 * 127.0.0.1, each broker and controller, one static controller quorum of the three. Internal
 * topics get replication factor 3 and min ISR 2, and so do the topics the services create
 * (EventBus.ensureTopics sees three brokers), as in production.
 *
 * Only the suites that kill brokers start one (it costs three JVMs): each owns its cluster.
 *
 *   const cluster = await startKafkaCluster();
 *   const leader = await cluster.leaderOf("topic", 0);
 *   await cluster.node(leader).kill();
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Kafka, logLevel, type Admin } from "kafkajs";
import {
  type BrokerLayout,
  newClusterId,
  writeLoggingConfig,
  writeServerProperties,
} from "../kafka/broker-config";
import { kafkaVersionFromEnv, resolveKafka, type KafkaDistribution } from "../kafka/jars";
import { formatStorage, freePorts, launch, type RunningBroker, waitUntilReady } from "./kafka";

export interface KafkaClusterNode {
  /** Kafka's node id (1, 2, 3): what metadata names as a partition's leader. */
  id: number;
  address: string;
  readonly pid: number | undefined;
  isRunning(): boolean;
  /** SIGKILL, as in a power cut; its data stays for restart(). */
  kill(): Promise<void>;
  /** Starts it again on the same ports and data; resolves once it serves metadata. */
  restart(): Promise<void>;
}

export interface KafkaCluster {
  /** Every broker, comma-separated (the bootstrap list clients get). */
  brokers: string;
  version: string;
  nodes: KafkaClusterNode[];
  node(id: number): KafkaClusterNode;
  /** An admin client on the running brokers for the length of `use`. */
  withAdmin<T>(use: (admin: Admin) => Promise<T>): Promise<T>;
  /** Stops every node and removes the data. Final. */
  stop(): Promise<void>;
}

export interface StartKafkaClusterOptions {
  /** Brokers (default 3). */
  size?: number;
  /** Where the brokers' logs go (kept after stop); defaults to each broker's temp dir. */
  logDir?: string;
}

export async function startKafkaCluster(opts: StartKafkaClusterOptions = {}): Promise<KafkaCluster> {
  const dist = await resolveKafka(kafkaVersionFromEnv());
  // Free ports are free when picked; another process may take one before a JVM binds it.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startCluster(dist, opts);
    } catch (err) {
      const portTaken = err instanceof Error && err.message.includes("Address already in use");
      if (!portTaken || attempt >= 3) throw err;
    }
  }
}

interface Member {
  layout: BrokerLayout & { cluster: NonNullable<BrokerLayout["cluster"]> };
  loggingFlag: string;
  logFile: string;
  running: RunningBroker | undefined;
}

async function startCluster(dist: KafkaDistribution, opts: StartKafkaClusterOptions): Promise<KafkaCluster> {
  const size = opts.size ?? 3;
  const ports = await freePorts(size * 2);
  const voters = Array.from({ length: size }, (_, i) => `${i + 1}@127.0.0.1:${ports[size + i]}`).join(",");
  const clusterId = newClusterId();
  if (opts.logDir) mkdirSync(opts.logDir, { recursive: true });
  const members: Member[] = Array.from({ length: size }, (_, i) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), `otp-kafka-${i + 1}-`));
    const layout = {
      dir,
      brokerPort: ports[i]!,
      controllerPort: ports[size + i]!,
      cluster: { nodeId: i + 1, voters, size },
    };
    writeServerProperties(layout);
    return {
      layout,
      loggingFlag: writeLoggingConfig(layout, dist.logging),
      logFile: path.join(opts.logDir ?? dir, `kafka-node${i + 1}-${layout.brokerPort}.log`),
      running: undefined,
    };
  });
  const addressOf = (m: Member) => `127.0.0.1:${m.layout.brokerPort}`;
  const brokers = members.map(addressOf).join(",");
  const removeData = () => members.forEach((m) => rmSync(m.layout.dir, { recursive: true, force: true }));
  // The data goes with the cluster, so nothing is gained by a controlled shutdown, which
  // waits for a quorum that the first node to stop takes away from the last.
  const stopAll = async () => {
    await Promise.all(members.map((m) => m.running?.terminate("SIGKILL") ?? Promise.resolve()));
  };

  // A member is ready once it serves metadata that lists `expect` brokers.
  const startMember = async (m: Member, expect: number): Promise<void> => {
    m.running = launch(dist, m.layout, m.loggingFlag, m.logFile);
    try {
      await waitUntilReady(addressOf(m), m.running, m.logFile, expect);
    } catch (err) {
      await m.running.terminate("SIGKILL");
      throw err;
    }
  };

  try {
    for (const m of members) formatStorage(dist, m.layout, m.loggingFlag, undefined, clusterId);
    // Together: the quorum needs a majority of the controllers before any broker registers.
    await Promise.all(members.map((m) => startMember(m, size)));
  } catch (err) {
    await stopAll();
    removeData();
    throw err;
  }

  const nodes: KafkaClusterNode[] = members.map((m) => ({
    id: m.layout.cluster.nodeId,
    address: addressOf(m),
    get pid() {
      return m.running?.isRunning() ? m.running.pid : undefined;
    },
    isRunning: () => m.running?.isRunning() ?? false,
    kill: async () => {
      await m.running?.terminate("SIGKILL");
    },
    restart: async () => {
      await m.running?.terminate("SIGTERM");
      // Back once the cluster lists every broker again, itself included.
      await startMember(m, size);
    },
  }));
  let stopped = false;
  return {
    brokers,
    version: dist.version,
    nodes,
    node: (id) => nodes.find((n) => n.id === id) ?? assertNever(`no Kafka node ${id}`),
    withAdmin: (use) =>
      withAdmin(
        nodes.filter((n) => n.isRunning()).map((n) => n.address),
        use,
      ),
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopAll();
      removeData();
    },
  };
}

function assertNever(message: string): never {
  throw new Error(message);
}

async function withAdmin<T>(brokers: string[], use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Kafka({
    clientId: "test-harness-cluster",
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
  }).admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
