/**
 * The Redis store (ioredis; one node or Redis Cluster). Scripts are registered with
 * `defineCommand` on first use (EVALSHA, falling back to EVAL after a restart or failover).
 * Every failure becomes an OtpError (see redis-errors.ts); a Redis that is down fails fast
 * with OTP_STATE_UNAVAILABLE so callers fail closed.
 */
import type { Redis } from "ioredis";
import { OtpError } from "@domain/errors";
import type { Script, SetOptions, Store } from "./port";
import { connectOnce, createRedisClient, type RedisClientSettings } from "./redis-client";
import { toStoreError } from "./redis-errors";
import { parseRedisUrl } from "./redis-url";
import { createReplicatedLane, type ReplicaAcks } from "./replicated-lane";
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

export function createRedisStore(options: RedisStoreOptions): Store {
  const { prefix } = options;
  checkPrefix(prefix);
  const client = createRedisClient(parseRedisUrl(options.url), options);
  const isCluster = "nodes" in client;
  // Without a listener ioredis prints every connection error; commands report them instead.
  client.on("error", (err: Error) => options.onConnectionError?.(err));
  const connected = connectOnce(client);
  const key = (suffix: string) => `${prefix}${suffix}`;

  async function command<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      await connected();
      return await send();
    } catch (err) {
      throw toStoreError(err, operation);
    }
  }

  const defined = new Map<string, string>();
  /** Registers a script on the client once, checking name clashes. */
  function defineScript(script: Script<unknown, unknown>): void {
    const signature = `${script.numberOfKeys}\n${script.lua}`;
    const existing = defined.get(script.name);
    if (existing === undefined) {
      if (script.name in client) {
        throw new OtpError("OTP_INTERNAL", `script name ${script.name} clashes with a client method`);
      }
      client.defineCommand(script.name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
      defined.set(script.name, signature);
    } else if (existing !== signature) {
      throw new OtpError("OTP_INTERNAL", `two different scripts are named ${script.name}`);
    }
  }

  function scriptCommand(script: Script<unknown, unknown>): ScriptCommand {
    defineScript(script);
    const method = (client as unknown as Record<string, ScriptCommand>)[script.name];
    if (!method) throw new OtpError("OTP_INTERNAL", `script ${script.name} is not registered`);
    return method.bind(client);
  }

  const replicaAcks = options.replicaAcks;
  const replicatedLane =
    replicaAcks && replicaAcks.replicas > 0 ? createReplicatedLane(client, replicaAcks) : undefined;

  async function run<I, O>(script: Script<I, O>, input: I): Promise<O> {
    const call = prepareCall(script, input, key);
    let raw: unknown;
    if (script.replicated && replicatedLane) {
      defineScript(script);
      raw = await command(`script ${script.name}`, () => replicatedLane.run(script, call));
    } else {
      const send = scriptCommand(script);
      raw = await command(`script ${script.name}`, () => send(...call.keys, ...call.argv));
    }
    try {
      return script.decode(redisValueToReply(raw));
    } catch (err) {
      throw operationFailed(`script ${script.name}`, err);
    }
  }

  async function set(fullKey: string, value: string, setOptions: SetOptions = {}): Promise<boolean> {
    checkTtl(setOptions.ttlMs);
    const args: (string | number)[] = [fullKey, value];
    if (setOptions.ttlMs !== undefined) args.push("PX", setOptions.ttlMs);
    if (setOptions.onlyIfAbsent) args.push("NX");
    return (await command("SET", () => client.call("SET", ...args))) === "OK";
  }

  async function del(...keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    const firstSlot = keySlot(keys[0] ?? "");
    if (!isCluster || keys.every((k) => keySlot(k) === firstSlot)) {
      return command("DEL", () => client.del(...keys));
    }
    // A multi-key DEL across slots is refused by a cluster (CROSSSLOT): one DEL per key.
    const counts = await Promise.all(keys.map((k) => command("DEL", () => client.del(k))));
    return counts.reduce((sum, n) => sum + n, 0);
  }

  async function clear(): Promise<void> {
    const nodes: Redis[] = isCluster ? client.nodes("master") : [client];
    const pattern = `${globEscape(prefix)}*`;
    for (const node of nodes) {
      await command("SCAN", () => unlinkMatching(node, pattern));
    }
  }

  async function now(): Promise<number> {
    const [seconds, micros] = (await command("TIME", () => client.time())).map(Number);
    return (seconds ?? 0) * 1000 + Math.floor((micros ?? 0) / 1000);
  }

  async function close(): Promise<void> {
    await replicatedLane?.close();
    if (client.status === "ready") {
      try {
        await client.quit();
        return;
      } catch {
        // fall through to a hard disconnect
      }
    }
    client.disconnect();
  }

  return {
    key,
    run,
    get: (fullKey) => command("GET", () => client.get(fullKey)),
    set,
    del,
    pttl: (fullKey) => command("PTTL", () => client.pttl(fullKey)),
    clear,
    now,
    close,
  };
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
