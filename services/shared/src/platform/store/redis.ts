/**
 * The Redis store (ioredis; one node or Redis Cluster). Scripts are registered with
 * `defineCommand` on first use (EVALSHA, falling back to EVAL after a restart or failover).
 * Every failure becomes an OtpError (see redis-errors.ts); a Redis that is down fails fast
 * with OTP_STATE_UNAVAILABLE so callers fail closed.
 */
import type { Redis } from "ioredis";
import { OtpError } from "@domain/errors";
import type { Script, SetOptions, Store } from "./port";
import { connectOnce, createRedisClient, type RedisClient, type RedisClientSettings } from "./redis-client";
import { toStoreError } from "./redis-errors";
import { parseRedisUrl } from "./redis-url";
import { createReplicatedLane, type ReplicaAcks, type ReplicatedLane } from "./replicated-lane";
import { redisValueToReply } from "./reply";
import { checkPrefix, checkTtl, operationFailed, prepareCall } from "./script-call";
import { keySlot } from "./slots";

export interface RedisStoreOptions extends RedisClientSettings {
  /** `redis://host:port[/db]`, or several comma-separated nodes for a Redis Cluster. */
  url: string;
  prefix: string;
  /** Connection errors, for logs or metrics; commands report them as OtpErrors anyway. */
  onConnectionError?: (err: Error) => void;
  /**
   * Scripts marked `replicated` wait (WAIT) until this many replicas of the master that ran them
   * have their writes, at most `timeoutMs`; short of that the call fails closed with
   * OTP_STATE_UNAVAILABLE. Unset or 0: no waiting (a single node, or a cluster without replicas).
   */
  replicaAcks?: ReplicaAcks;
}

type ScriptCommand = (...args: string[]) => Promise<unknown>;

/** Escapes glob characters so a SCAN pattern matches the prefix literally. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}

/** The store's client, what it has registered and its prefix. */
interface RedisConnection {
  client: RedisClient;
  isCluster: boolean;
  connected: () => Promise<void>;
  prefix: string;
  /** Scripts registered on the client, by name: their key count and source. */
  defined: Map<string, string>;
  replicatedLane?: ReplicatedLane;
}

export function createRedisStore(options: RedisStoreOptions): Store {
  const { prefix } = options;
  checkPrefix(prefix);
  const client = createRedisClient(parseRedisUrl(options.url), options);
  // Without a listener ioredis prints every connection error; commands report them instead.
  client.on("error", (err: Error) => options.onConnectionError?.(err));
  const replicaAcks = options.replicaAcks;
  const redis: RedisConnection = {
    client,
    isCluster: "nodes" in client,
    connected: connectOnce(client),
    prefix,
    defined: new Map(),
    replicatedLane:
      replicaAcks && replicaAcks.replicas > 0 ? createReplicatedLane(client, replicaAcks) : undefined,
  };
  return {
    key: (suffix) => `${prefix}${suffix}`,
    run: (script, input) => runScript(redis, script, input),
    get: (fullKey) => command(redis, "GET", () => client.get(fullKey)),
    set: (fullKey, value, setOptions) => set(redis, fullKey, value, setOptions),
    del: (...keys) => del(redis, keys),
    pttl: (fullKey) => command(redis, "PTTL", () => client.pttl(fullKey)),
    clear: () => clear(redis),
    now: () => serverNow(redis),
    close: () => close(redis),
  };
}

async function command<T>(redis: RedisConnection, operation: string, send: () => Promise<T>): Promise<T> {
  try {
    await redis.connected();
    return await send();
  } catch (err) {
    throw toStoreError(err, operation);
  }
}

/** Registers a script on the client once, checking name clashes. */
function defineScript(redis: RedisConnection, script: Script<unknown, unknown>): void {
  const signature = `${script.numberOfKeys}\n${script.lua}`;
  const existing = redis.defined.get(script.name);
  if (existing === undefined) {
    if (script.name in redis.client) {
      throw new OtpError("OTP_INTERNAL", `script name ${script.name} clashes with a client method`);
    }
    redis.client.defineCommand(script.name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
    redis.defined.set(script.name, signature);
  } else if (existing !== signature) {
    throw new OtpError("OTP_INTERNAL", `two different scripts are named ${script.name}`);
  }
}

function scriptCommand(redis: RedisConnection, script: Script<unknown, unknown>): ScriptCommand {
  defineScript(redis, script);
  const method = (redis.client as unknown as Record<string, ScriptCommand>)[script.name];
  if (!method) throw new OtpError("OTP_INTERNAL", `script ${script.name} is not registered`);
  return method.bind(redis.client);
}

async function runScript<I, O>(redis: RedisConnection, script: Script<I, O>, input: I): Promise<O> {
  const call = prepareCall(script, input, (suffix) => `${redis.prefix}${suffix}`);
  const lane = redis.replicatedLane;
  let raw: unknown;
  if (script.replicated && lane) {
    defineScript(redis, script);
    raw = await command(redis, `script ${script.name}`, () => lane.run(script, call));
  } else {
    const send = scriptCommand(redis, script);
    raw = await command(redis, `script ${script.name}`, () => send(...call.keys, ...call.argv));
  }
  try {
    return script.decode(redisValueToReply(raw));
  } catch (err) {
    throw operationFailed(`script ${script.name}`, err);
  }
}

async function set(
  redis: RedisConnection,
  fullKey: string,
  value: string,
  setOptions: SetOptions = {},
): Promise<boolean> {
  checkTtl(setOptions.ttlMs);
  const args: (string | number)[] = [fullKey, value];
  if (setOptions.ttlMs !== undefined) args.push("PX", setOptions.ttlMs);
  if (setOptions.onlyIfAbsent) args.push("NX");
  return (await command(redis, "SET", () => redis.client.call("SET", ...args))) === "OK";
}

async function del(redis: RedisConnection, keys: string[]): Promise<number> {
  const { client } = redis;
  if (keys.length === 0) return 0;
  const firstSlot = keySlot(keys[0] ?? "");
  if (!redis.isCluster || keys.every((k) => keySlot(k) === firstSlot)) {
    return command(redis, "DEL", () => client.del(...keys));
  }
  // A multi-key DEL across slots is refused by a cluster (CROSSSLOT): one DEL per key.
  const counts = await Promise.all(keys.map((k) => command(redis, "DEL", () => client.del(k))));
  return counts.reduce((sum, n) => sum + n, 0);
}

async function clear(redis: RedisConnection): Promise<void> {
  const { client } = redis;
  const nodes: Redis[] = "nodes" in client ? client.nodes("master") : [client];
  const pattern = `${globEscape(redis.prefix)}*`;
  for (const node of nodes) {
    await command(redis, "SCAN", () => unlinkMatching(node, pattern));
  }
}

async function serverNow(redis: RedisConnection): Promise<number> {
  const [seconds, micros] = (await command(redis, "TIME", () => redis.client.time())).map(Number);
  return (seconds ?? 0) * 1000 + Math.floor((micros ?? 0) / 1000);
}

async function close(redis: RedisConnection): Promise<void> {
  await redis.replicatedLane?.close();
  if (redis.client.status === "ready") {
    try {
      await redis.client.quit();
      return;
    } catch {
      // fall through to a hard disconnect
    }
  }
  redis.client.disconnect();
}

/** SCAN (never KEYS: it blocks the server) and UNLINK one key at a time (cluster-safe). */
async function unlinkMatching(node: Redis, pattern: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    if (keys.length === 0) continue;
    const pipeline = node.pipeline();
    for (const k of keys) pipeline.unlink(k);
    const results = (await pipeline.exec()) ?? [];
    const failure = results.map(([err]) => err).find((err) => err !== null);
    if (failure) throw failure;
  } while (cursor !== "0");
}
