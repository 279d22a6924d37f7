/**
 * Builds the ioredis client (one node or Cluster) with settings that make a dead or stuck
 * Redis fail fast instead of queueing commands: no offline queue (a command while
 * disconnected fails at once), no retries of commands in flight when a connection drops (a
 * script may or may not have run; the caller decides), and a command timeout for a server
 * that accepts connections but does not answer. A Cluster client still queues on each node
 * connection while it connects, and retries on its own after a failover: a command answered
 * by its timeout is dropped there, never sent late (answered-commands.ts).
 */
import { Cluster, Redis, type RedisOptions } from "ioredis";
import { OtpError } from "@domain/errors";
import { dropAnsweredCommands } from "./answered-commands";
import type { RedisEndpoint } from "./redis-url";
import { coalesceRedisWrites } from "./write-coalescing";

export type RedisClient = Redis | Cluster;

export interface RedisClientSettings {
  /** Force Cluster mode with a single seed node. Several nodes in the URL imply it. */
  cluster?: boolean;
  /** Time to establish a connection. Default 1000 ms. */
  connectTimeoutMs?: number;
  /** Time a command may wait for its reply. Default 1000 ms. */
  commandTimeoutMs?: number;
  /** CLIENT SETNAME, to recognise the service in CLIENT LIST. */
  connectionName?: string;
}

// Reconnection runs in the background; commands meanwhile fail fast (no offline queue).
const reconnectDelayMs = (attempt: number) => Math.min(attempt * 100, 2_000);

function connectionOptions(endpoint: RedisEndpoint, settings: RedisClientSettings): RedisOptions {
  return {
    connectTimeout: settings.connectTimeoutMs ?? 1_000,
    commandTimeout: settings.commandTimeoutMs ?? 1_000,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    ...(endpoint.username === undefined ? {} : { username: endpoint.username }),
    ...(endpoint.password === undefined ? {} : { password: endpoint.password }),
    ...(endpoint.tls ? { tls: {} } : {}),
    ...(settings.connectionName === undefined ? {} : { connectionName: settings.connectionName }),
  };
}

export function createRedisClient(endpoint: RedisEndpoint, settings: RedisClientSettings): RedisClient {
  const nodeOptions = connectionOptions(endpoint, settings);
  const [first, ...others] = endpoint.nodes;
  if (!first) throw new OtpError("CONFIG_INVALID", "invalid Redis URL: no node");
  if (others.length === 0 && !settings.cluster) {
    return withCoalescedWrites(
      new Redis({
        ...nodeOptions,
        host: first.host,
        port: first.port,
        db: endpoint.db,
        lazyConnect: true,
        enableOfflineQueue: false,
        retryStrategy: reconnectDelayMs,
      }),
    );
  }
  if (endpoint.db !== 0) throw new OtpError("CONFIG_INVALID", "Redis Cluster has only database 0");
  return withCoalescedWrites(
    withoutLateCommands(
      new Cluster(endpoint.nodes, {
        lazyConnect: true,
        enableOfflineQueue: false,
        clusterRetryStrategy: reconnectDelayMs,
        slotsRefreshTimeout: nodeOptions.connectTimeout ?? 1_000,
        // A failover moves slots without a MOVED reaching every client (a dead master answers
        // nothing): ask for the map now and then as well, not only when a command is redirected.
        slotsRefreshInterval: 2_000,
        redisOptions: nodeOptions,
      }),
    ),
  );
}

/** A second client like `client`, with connections of its own (see replicated-lane.ts). */
export function duplicateRedisClient(client: RedisClient): RedisClient {
  return client instanceof Cluster ? withoutLateCommands(client.duplicate()) : client.duplicate();
}

/** Cluster node connections queue and retry commands: none is sent once answered (answered-commands.ts). */
function withoutLateCommands(cluster: Cluster): Cluster {
  dropAnsweredCommands(cluster);
  return cluster;
}

/** Commands issued in one turn of the event loop leave in one write (see write-coalescing.ts). */
function withCoalescedWrites<C extends RedisClient>(client: C): C {
  coalesceRedisWrites(client);
  return client;
}

/**
 * Connects a lazily created client once; later calls find it ready, or reconnecting and failing
 * fast meanwhile. Callers arriving while the first connection is under way wait for it, at most
 * as long as a first connection may take (`firstConnectionMs`).
 */
export function connectOnce(client: RedisClient): () => Promise<void> {
  let connecting: Promise<void> | undefined;
  return async () => {
    if (connecting === undefined) {
      if (client.status !== "wait") return;
      connecting = firstConnection(client);
    }
    await connecting;
  };
}

/**
 * The first connection, however it ends. A failed attempt is not reported here: the command
 * that follows fails instead. Not just `client.connect()`: when a Cluster client's ready check
 * fails (CLUSTER INFO sent to a master that just died, or a node that reports the cluster down),
 * ioredis reconnects by itself and the promise of that first attempt never settles, so waiting
 * on it held every call of the store for good, even once the cluster was whole again.
 */
function firstConnection(client: RedisClient): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(bound);
      client.off("ready", done);
      resolve();
    };
    const bound = setTimeout(done, firstConnectionMs(client));
    client.once("ready", done);
    client.connect().then(done, done);
  });
}

/** Connecting, learning the slots (a node at a time, each within the connect timeout), the ready check. */
function firstConnectionMs(client: RedisClient): number {
  const options: RedisOptions =
    client instanceof Cluster ? (client.options.redisOptions ?? {}) : client.options;
  return 2 * (options.connectTimeout ?? 1_000) + (options.commandTimeout ?? 1_000);
}
