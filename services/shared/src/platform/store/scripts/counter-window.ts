/**
 * A capped fixed-window counter, e.g. "at most 5 sends to this phone per hour". The window
 * opens with the first counted event and lasts `windowMs` (the key's TTL); an event that would
 * take the count over `limit` is refused and not counted.
 */
import type { LocalDb, Script } from "../port";
import { replyArray, replyInteger } from "../reply";
import { nonNegativeInteger, positiveInteger, requireThat, tagged } from "./common";

const NAME = "otpCounterWindow";

export interface CounterWindowInput {
  key: string;
  windowMs: number;
  limit: number;
  /** Default 1; 0 only reads the count. */
  cost?: number;
}

export interface CounterWindowResult {
  allowed: boolean;
  /** The count in the current window, including this event when allowed. */
  count: number;
  /** When refused: time until the window closes; 0 when allowed. */
  retryAfterMs: number;
}

const LUA = `
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = redis.call('PTTL', KEYS[1])
if count + cost > limit then
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], window)
    ttl = window
  end
  return {0, count, math.max(ttl, 1)}
end
if cost > 0 then
  count = redis.call('INCRBY', KEYS[1], cost)
  if ttl < 0 then redis.call('PEXPIRE', KEYS[1], window) end
end
return {1, count, 0}
`;

function local(db: LocalDb, keys: string[], argv: string[]): number[] {
  const [key = ""] = keys;
  const [window, limit, cost] = argv.map(Number) as [number, number, number];
  let count = Number(db.get(key) ?? "0");
  let ttl = db.pttl(key);
  if (count + cost > limit) {
    if (ttl < 0) {
      db.pexpire(key, window);
      ttl = window;
    }
    return [0, count, Math.max(ttl, 1)];
  }
  if (cost > 0) {
    count = db.incrby(key, cost);
    if (ttl < 0) db.pexpire(key, window);
  }
  return [1, count, 0];
}

export const counterWindow: Script<CounterWindowInput, CounterWindowResult> = {
  name: NAME,
  numberOfKeys: 1,
  lua: LUA,
  local,
  encode(input, key) {
    const windowMs = positiveInteger(NAME, "windowMs", input.windowMs);
    const limit = positiveInteger(NAME, "limit", input.limit);
    const cost = nonNegativeInteger(NAME, "cost", input.cost ?? 1);
    // A cost above the limit could never be allowed: a configuration mistake.
    requireThat(NAME, cost <= limit, "cost", "must not exceed limit");
    return { keys: [tagged(NAME, "window", input.key, key)], argv: [windowMs, limit, cost] };
  },
  decode(reply) {
    const [allowed, count, retryAfterMs] = replyArray(NAME, reply, 3);
    return {
      allowed: replyInteger(NAME, allowed) === 1,
      count: replyInteger(NAME, count),
      retryAfterMs: replyInteger(NAME, retryAfterMs),
    };
  },
};
