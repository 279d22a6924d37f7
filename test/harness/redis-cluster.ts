/**
 * A real Redis Cluster for tests: `masters` redis-server processes with `replicasPerMaster`
 * replicas each, slots spread by `redis-cli --cluster create`, everything on 127.0.0.1.
 *
 * Failover settings, the same as deploy/ (see deploy/README.md):
 * - `cluster-node-timeout 2000`: a master that stops answering is failed over within seconds;
 * - `cluster-require-full-coverage no`: while one shard fails over, the others keep serving
 *   their slots instead of the whole cluster answering CLUSTERDOWN;
 * - no persistence: a killed node that starts again comes back empty and, its nodes.conf kept,
 *   rejoins as a replica of whoever took its slots over and copies their data (full sync).
 */
import { spawnSync } from "node:child_process";
import { createConnection } from "node:net";
import { join } from "node:path";
import { type RedisServer, sleep, startOnFreePort } from "./redis";

const READY_TIMEOUT_MS = 15_000;
const FAILOVER_TIMEOUT_MS = 60_000;

export interface RedisClusterNode {
  port: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
  readonly pid: number | undefined;
  isRunning(): boolean;
  /** SIGKILL, as in a power cut; its nodes.conf stays for restart(). */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory: it rejoins the cluster, empty. */
  restart(): Promise<void>;
}

export interface ClusterShard {
  master: number;
  replicas: number[];
  /** Slot ranges, inclusive: [[0, 5460], ...] */
  slots: Array<[number, number]>;
}

export interface RedisCluster {
  /** Every node, comma-separated: `redis://127.0.0.1:p1,127.0.0.1:p2,...`. */
  url: string;
  nodes: RedisClusterNode[];
  node(port: number): RedisClusterNode;
  /** Shards as a live node sees them now (masters that failed are left out). */
  shards(): Promise<ClusterShard[]>;
  /** The master serving `slot` now. */
  masterOf(slot: number): Promise<number>;
  /**
   * Resolves once every running node reports cluster_state:ok and every master has its
   * replicas attached and in sync: redundancy restored after a failover.
   */
  waitHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedisCluster(masters = 3, replicasPerMaster = 0): Promise<RedisCluster> {
  // prettier-ignore
  const clusterArgs = (dir: string) => [
    "--cluster-enabled", "yes",
    "--cluster-config-file", join(dir, "nodes.conf"),
    "--cluster-node-timeout", "2000",
    "--cluster-require-full-coverage", "no",
  ];
  const servers: RedisServer[] = [];
  const stopAll = async () => {
    await Promise.all(servers.map((server) => server.stop()));
    servers.forEach((server) => server.removeData());
  };
  try {
    const count = masters * (1 + replicasPerMaster);
    servers.push(...(await Promise.all(Array.from({ length: count }, () => startOnFreePort(clusterArgs)))));
    const addresses = servers.map((server) => `127.0.0.1:${server.port}`);
    const create = spawnSync(
      "redis-cli",
      ["--cluster", "create", ...addresses, "--cluster-replicas", String(replicasPerMaster), "--cluster-yes"],
      { encoding: "utf8", timeout: 60_000 },
    );
    if (create.status !== 0)
      throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    const cluster = clusterHandle(servers, replicasPerMaster, stopAll);
    await cluster.waitHealthy(READY_TIMEOUT_MS + 5_000 * replicasPerMaster);
    return cluster;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

function clusterHandle(
  servers: RedisServer[],
  replicasPerMaster: number,
  stopAll: () => Promise<void>,
): RedisCluster {
  const running = new Set(servers);
  const nodes: RedisClusterNode[] = servers.map((server) => ({
    port: server.port,
    url: `redis://127.0.0.1:${server.port}`,
    get pid() {
      return server.pid;
    },
    isRunning: () => running.has(server),
    kill: async () => {
      running.delete(server);
      await server.crash();
    },
    restart: async () => {
      await server.start();
      running.add(server);
    },
  }));
  const livePorts = () => [...running].map((server) => server.port);
  const shards = async (): Promise<ClusterShard[]> => {
    for (const port of livePorts()) {
      const text = await rawBulk(port, "CLUSTER NODES").catch(() => undefined);
      if (text) return parseClusterNodes(text);
    }
    throw new Error("no Redis Cluster node answers");
  };
  return {
    url: `redis://${servers.map((server) => `127.0.0.1:${server.port}`).join(",")}`,
    nodes,
    node: (port) => {
      const found = nodes.find((n) => n.port === port);
      if (!found) throw new Error(`no Redis Cluster node on port ${port}`);
      return found;
    },
    shards,
    masterOf: async (slot) => {
      const shard = (await shards()).find((s) => s.slots.some(([lo, hi]) => slot >= lo && slot <= hi));
      if (!shard) throw new Error(`no master serves slot ${slot}`);
      return shard.master;
    },
    waitHealthy: async (timeoutMs = FAILOVER_TIMEOUT_MS) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const problem = await healthProblem(livePorts(), replicasPerMaster).catch(
          (err: Error) => err.message,
        );
        if (problem === "") return;
        if (Date.now() > deadline) throw new Error(`Redis Cluster not healthy: ${problem}`);
        await sleep(100);
      }
    },
    stop: stopAll,
  };
}

/** What still keeps the cluster from being whole, or "" when it is. */
async function healthProblem(ports: number[], replicasPerMaster: number): Promise<string> {
  for (const port of ports) {
    const info = await rawBulk(port, "CLUSTER INFO");
    if (!info.includes("cluster_state:ok")) return `node ${port} not ok`;
  }
  const shards = parseClusterNodes(await rawBulk(ports[0] ?? 0, "CLUSTER NODES"));
  if (shards.length === 0) return "no masters";
  for (const shard of shards) {
    if (!ports.includes(shard.master)) return `master ${shard.master} is not running`;
    const replication = await rawBulk(shard.master, "INFO replication");
    const online = replication.split("\n").filter((l) => /^slave\d+:.*state=online/.test(l)).length;
    if (online < replicasPerMaster) return `master ${shard.master} has ${online} replicas online`;
  }
  return "";
}

/** Shards from CLUSTER NODES: masters not flagged failed, their replicas, their slots. */
function parseClusterNodes(text: string): ClusterShard[] {
  const lines = text
    .trim()
    .split("\n")
    .map((line) => line.trim().split(" "));
  const portOf = (address: string) => Number(/:(\d+)@/.exec(address)?.[1] ?? 0);
  const masters = lines.filter(([, , flags = ""]) => flags.includes("master") && !/\bfail\b/.test(flags));
  return masters
    .map(([id = "", address = "", , , , , , , ...slotSpecs]) => ({
      master: portOf(address),
      replicas: lines
        .filter(([, , flags = "", masterId]) => flags.includes("slave") && masterId === id)
        .map(([, replicaAddress = ""]) => portOf(replicaAddress)),
      slots: slotSpecs
        .filter((spec) => !spec.startsWith("["))
        .map((spec): [number, number] => {
          const [lo = "0", hi = lo] = spec.split("-");
          return [Number(lo), Number(hi)];
        }),
    }))
    .filter((shard) => shard.slots.length > 0);
}

/** Sends one inline command and returns its bulk-string reply. */
export function rawBulk(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let data = Buffer.alloc(0);
    socket.setTimeout(1_000, () => socket.destroy(new Error("timeout")));
    socket.once("connect", () => socket.write(`${command}\r\n`));
    socket.on("data", (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const text = data.toString("latin1");
      if (text.startsWith("-")) {
        socket.destroy();
        reject(new Error(text.trim()));
        return;
      }
      const header = /^\$(\d+)\r\n/.exec(text);
      if (header && data.length >= header[0].length + Number(header[1])) {
        socket.destroy();
        resolve(data.subarray(header[0].length, header[0].length + Number(header[1])).toString("utf8"));
      }
    });
    socket.once("error", reject);
  });
}
