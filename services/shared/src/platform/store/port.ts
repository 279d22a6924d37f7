/**
 * The hot-state store port. Two adapters implement it with the same semantics, proven by one
 * contract suite (test/contract/store.contract.ts): Redis (ioredis, Lua scripts registered
 * with `defineCommand`) and an in-process store for the all-in-one mode.
 *
 * Atomic operations are Scripts: each has a Lua body for Redis and a local body that runs
 * the same logic against LocalDb, an in-memory model of the Redis commands it uses. The
 * local body runs synchronously, so it is atomic like a Lua script. Both adapters hand `decode`
 * a reply converted by Redis' Lua-to-RESP rules (numbers truncated to integers, true is 1,
 * false is nil, arrays stop at the first nil), so a body returning a float or a boolean
 * behaves the same on both; still, prefer returning integers, strings and arrays of them.
 * Errors raised by a body (Lua `error()`, a WRONGTYPE reply, a local throw) become
 * OtpError("OTP_INTERNAL"); an unreachable store becomes OtpError("OTP_STATE_UNAVAILABLE").
 *
 * Keys: every key passes through `key()` which adds the store's prefix. Multi-key scripts use
 * keys sharing one `{hash tag}` (see `taggedKey`) so they stay valid on Redis Cluster; both
 * adapters reject a script call whose keys map to different cluster slots. A prefix has no
 * braces (it would capture the hash tag) and must not be a prefix of another store's prefix
 * on the same Redis (`clear()` would reach into it).
 */
export type Reply = null | number | string | Reply[];

/**
 * What a local body may return, mirroring Lua values: `null`/`undefined` are nil (and end an
 * array), booleans and fractional numbers are converted as Redis converts Lua replies.
 */
export type LocalReply = null | undefined | boolean | number | string | LocalReply[];

export interface ScriptCall {
  keys: string[];
  argv: (string | number)[];
}

export interface Script<I, O> {
  /** Unique name; becomes the ioredis command name. */
  readonly name: string;
  readonly numberOfKeys: number;
  readonly lua: string;
  /** The same logic as `lua`, against the in-memory model. Must not be async. */
  local(db: LocalDb, keys: string[], argv: string[]): LocalReply;
  /** Builds keys (already prefixed, via the given `key` function) and arguments. */
  encode(input: I, key: (suffix: string) => string): ScriptCall;
  decode(reply: Reply): O;
  /**
   * Its writes guard a security invariant (a code's single use, its failure count): on a store
   * with replicas configured (`replicaAcks`), a call succeeds only once a replica has the
   * writes, so a failover cannot take them back (Redis replicates asynchronously).
   */
  readonly replicated?: boolean;
}

export interface SetOptions {
  /** Time to live in milliseconds. */
  ttlMs?: number;
  /** Only set when the key does not exist (SET NX). */
  onlyIfAbsent?: boolean;
}

export interface Store {
  /** The full key for a suffix: `<prefix><suffix>`. */
  key(suffix: string): string;
  run<I, O>(script: Script<I, O>, input: I): Promise<O>;
  get(key: string): Promise<string | null>;
  /** Returns false when `onlyIfAbsent` was set and the key existed. */
  set(key: string, value: string, options?: SetOptions): Promise<boolean>;
  del(...keys: string[]): Promise<number>;
  /** Remaining time to live in ms; -1 without expiry, -2 when the key does not exist. */
  pttl(key: string): Promise<number>;
  /** Deletes every key under the store's prefix (tests, projection rebuild). */
  clear(): Promise<void>;
  /** Server time in ms (Redis TIME), the clock scripts use. */
  now(): Promise<number>;
  close(): Promise<void>;
}

/**
 * The in-memory model of the Redis data types the scripts use. Method names and semantics
 * follow the Redis commands of the same name; times are server milliseconds.
 */
export interface LocalDb {
  /** Server time in ms, as `redis.call('TIME')` gives it. */
  timeMs(): number;
  get(key: string): string | null;
  set(key: string, value: string, options?: { px?: number; nx?: boolean; keepTtl?: boolean }): boolean;
  del(...keys: string[]): number;
  exists(key: string): boolean;
  incrby(key: string, by: number): number;
  pexpire(key: string, ms: number): boolean;
  pexpireat(key: string, atMs: number): boolean;
  pttl(key: string): number;
  hget(key: string, field: string): string | null;
  hset(key: string, fields: Record<string, string>): number;
  hgetall(key: string): Record<string, string>;
  hincrby(key: string, field: string, by: number): number;
  hdel(key: string, ...fields: string[]): number;
  zadd(key: string, score: number, member: string): number;
  zrem(key: string, ...members: string[]): number;
  zscore(key: string, member: string): number | null;
  zcard(key: string): number;
  /** Members with min <= score <= max, ascending, as [member, score] pairs. */
  zrangebyscore(key: string, min: number, max: number, limit?: number): [string, number][];
}

/** A key whose `{tag}` decides its Redis Cluster slot: `<suffix-prefix>{<tag>}<rest>`. */
export function taggedKey(kind: string, tag: string, rest = ""): string {
  return `${kind}:{${tag}}${rest ? `:${rest}` : ""}`;
}
