/**
 * The in-memory model of the Redis commands local script bodies use (see LocalDb in port.ts).
 * It follows Redis semantics where a script could tell the difference: keys of one type only
 * (WRONGTYPE otherwise), strict integer parsing, SET dropping an old TTL unless KEEPTTL,
 * empty hashes and sorted sets ceasing to exist, a key living until `now > expireAt`.
 *
 * Expiry is lazy (every access checks) plus a periodic sweep on an unref'd timer, so memory
 * is reclaimed for keys nobody reads again.
 */
import type { LocalDb } from "./port";
import { SortedSet } from "./sorted-set";

type Value =
  | { type: "string"; value: string }
  | { type: "hash"; fields: Map<string, string> }
  | { type: "zset"; zset: SortedSet };

export interface LocalDbOptions {
  /** Milliseconds since the epoch; the store's "server time". Defaults to Date.now. */
  clock?: () => number;
  /** How often expired keys are swept; 0 turns the sweep off. Default 1000 ms. */
  sweepIntervalMs?: number;
}

export interface InMemoryDb extends LocalDb {
  /** Live keys that start with `prefix`. */
  keysWithPrefix(prefix: string): string[];
  /** Keys held, counting expired ones not yet reclaimed (like Redis DBSIZE). */
  dbsize(): number;
  /** Stops the sweep timer. */
  close(): void;
}

const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_AN_INTEGER = "ERR value is not an integer or out of range";

/**
 * Redis' string2ll: optional minus, no leading zeros, no spaces. Limited to JS safe integers
 * (Redis allows 64 bits); counters here never get near 2^53.
 */
function parseInteger(text: string, error = NOT_AN_INTEGER): number {
  if (!/^(0|-?[1-9][0-9]*)$/.test(text)) throw new Error(error);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(error);
  return value;
}

function addInteger(current: number, by: number): number {
  if (!Number.isSafeInteger(by)) throw new Error(NOT_AN_INTEGER);
  const result = current + by;
  if (!Number.isSafeInteger(result)) throw new Error("ERR increment or decrement would overflow");
  return result;
}

class LocalDbModel implements InMemoryDb {
  private readonly data = new Map<string, Value>();
  private readonly expiresAt = new Map<string, number>();
  private readonly sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly clock: () => number,
    sweepIntervalMs: number,
  ) {
    if (sweepIntervalMs > 0) {
      this.sweepTimer = setInterval(() => this.sweep(), sweepIntervalMs);
      this.sweepTimer.unref();
    }
  }

  timeMs(): number {
    return this.clock();
  }

  get(key: string): string | null {
    const value = this.lookup(key);
    if (!value) return null;
    if (value.type !== "string") throw new Error(WRONGTYPE);
    return value.value;
  }

  set(key: string, value: string, options: { px?: number; nx?: boolean; keepTtl?: boolean } = {}): boolean {
    const { px, nx = false, keepTtl = false } = options;
    if (px !== undefined && (!Number.isInteger(px) || px <= 0)) {
      throw new Error("ERR invalid expire time in 'set' command");
    }
    if (nx && this.lookup(key)) return false;
    this.data.set(key, { type: "string", value });
    if (px !== undefined) this.expiresAt.set(key, this.timeMs() + px);
    else if (!keepTtl) this.expiresAt.delete(key);
    return true;
  }

  del(...keys: string[]): number {
    let deleted = 0;
    for (const key of keys) {
      if (this.lookup(key)) {
        this.remove(key);
        deleted++;
      }
    }
    return deleted;
  }

  exists(key: string): boolean {
    return this.lookup(key) !== undefined;
  }

  incrby(key: string, by: number): number {
    const current = this.get(key);
    const result = addInteger(current === null ? 0 : parseInteger(current), by);
    this.data.set(key, { type: "string", value: String(result) }); // keeps the TTL, like INCRBY
    return result;
  }

  pexpire(key: string, ms: number): boolean {
    return this.pexpireat(key, this.timeMs() + ms);
  }

  pexpireat(key: string, atMs: number): boolean {
    if (!Number.isFinite(atMs)) throw new Error(NOT_AN_INTEGER);
    if (!this.lookup(key)) return false;
    // An expiry in the past deletes the key at once, as Redis does.
    if (atMs <= this.timeMs()) this.remove(key);
    else this.expiresAt.set(key, Math.trunc(atMs));
    return true;
  }

  pttl(key: string): number {
    if (!this.lookup(key)) return -2;
    const at = this.expiresAt.get(key);
    return at === undefined ? -1 : Math.max(0, at - this.timeMs());
  }

  hget(key: string, field: string): string | null {
    return this.hash(key)?.get(field) ?? null;
  }

  hset(key: string, fields: Record<string, string>): number {
    if (Object.keys(fields).length === 0) throw new Error("ERR wrong number of arguments for 'hset' command");
    const hash = this.hash(key, true);
    let added = 0;
    for (const [field, value] of Object.entries(fields)) {
      if (!hash.has(field)) added++;
      hash.set(field, value);
    }
    return added;
  }

  hgetall(key: string): Record<string, string> {
    return Object.fromEntries(this.hash(key) ?? []);
  }

  hincrby(key: string, field: string, by: number): number {
    const current = this.hash(key)?.get(field);
    const notInteger = "ERR hash value is not an integer";
    const result = addInteger(current === undefined ? 0 : parseInteger(current, notInteger), by);
    this.hash(key, true).set(field, String(result));
    return result;
  }

  hdel(key: string, ...fields: string[]): number {
    const hash = this.hash(key);
    if (!hash) return 0;
    const deleted = fields.filter((field) => hash.delete(field)).length;
    if (hash.size === 0) this.remove(key);
    return deleted;
  }

  zadd(key: string, score: number, member: string): number {
    if (Number.isNaN(score)) throw new Error("ERR value is not a valid float");
    return this.zset(key, true).add(member, score) ? 1 : 0;
  }

  zrem(key: string, ...members: string[]): number {
    const zset = this.zset(key);
    if (!zset) return 0;
    const removed = members.filter((member) => zset.remove(member)).length;
    if (zset.size === 0) this.remove(key);
    return removed;
  }

  zscore(key: string, member: string): number | null {
    return this.zset(key)?.score(member) ?? null;
  }

  zcard(key: string): number {
    return this.zset(key)?.size ?? 0;
  }

  zrangebyscore(key: string, min: number, max: number, limit?: number): [string, number][] {
    const zset = this.zset(key);
    if (!zset) return [];
    return zset.rangeByScore(min, max, limit).map(({ member, score }) => [member, score]);
  }

  keysWithPrefix(prefix: string): string[] {
    return [...this.data.keys()].filter((key) => key.startsWith(prefix) && this.lookup(key));
  }

  dbsize(): number {
    return this.data.size;
  }

  close(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
  }

  /** The live value of a key, expiring it first if its time has passed. */
  private lookup(key: string): Value | undefined {
    const at = this.expiresAt.get(key);
    if (at !== undefined && this.timeMs() > at) this.remove(key);
    return this.data.get(key);
  }

  private remove(key: string): void {
    this.data.delete(key);
    this.expiresAt.delete(key);
  }

  private hash(key: string, create: true): Map<string, string>;
  private hash(key: string, create?: false): Map<string, string> | undefined;
  private hash(key: string, create = false): Map<string, string> | undefined {
    const value = this.lookup(key);
    if (value) {
      if (value.type !== "hash") throw new Error(WRONGTYPE);
      return value.fields;
    }
    if (!create) return undefined;
    const fields = new Map<string, string>();
    this.data.set(key, { type: "hash", fields });
    return fields;
  }

  private zset(key: string, create: true): SortedSet;
  private zset(key: string, create?: false): SortedSet | undefined;
  private zset(key: string, create = false): SortedSet | undefined {
    const value = this.lookup(key);
    if (value) {
      if (value.type !== "zset") throw new Error(WRONGTYPE);
      return value.zset;
    }
    if (!create) return undefined;
    const zset = new SortedSet();
    this.data.set(key, { type: "zset", zset });
    return zset;
  }

  private sweep(): void {
    const now = this.timeMs();
    for (const [key, at] of this.expiresAt) {
      if (now > at) this.remove(key);
    }
  }
}

export function createLocalDb(options: LocalDbOptions = {}): InMemoryDb {
  return new LocalDbModel(options.clock ?? Date.now, options.sweepIntervalMs ?? 1_000);
}
