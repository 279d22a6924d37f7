/**
 * GCRA rate limiting (the generic cell rate algorithm, as in redis-cell and go-redis/redis_rate):
 * one key holds the theoretical arrival time (TAT) of the next request, in server
 * microseconds. A request of `cost` moves the TAT by `cost` emission intervals; it is allowed
 * while the new TAT stays within `burst` intervals of now. No background refill, one key, and
 * exact retry-after values.
 *
 * Times are integers in microseconds (the emission interval rounded to 1 µs) so Lua and the
 * local body do the same exact arithmetic on doubles.
 */
import type { LocalDb, Script } from "../port";
import { replyArray, replyInteger } from "../reply";
import {
  LUA_NOW_US,
  nonNegativeInteger,
  positiveInteger,
  positiveNumber,
  requireThat,
  tagged,
} from "./common";

const NAME = "otpRateLimit";

export type RateLimitInput = {
  /** What is limited, e.g. `phone:<hash>` or `tenant:<id>`. */
  key: string;
  /** Requests allowed at once on a fresh key. */
  burst: number;
  /** Units this request takes; default 1. 0 only reports the state. */
  cost?: number;
} & ({ ratePerSec: number } | { limit: number; periodMs: number });

export interface RateLimitResult {
  allowed: boolean;
  /** When denied: how long until this request would be allowed; 0 when allowed. */
  retryAfterMs: number;
  /** Requests of cost 1 still allowed right now (after this one, when allowed). */
  remaining: number;
}

function emissionIntervalUs(input: RateLimitInput): number {
  const us =
    "ratePerSec" in input
      ? 1_000_000 / positiveNumber(NAME, "ratePerSec", input.ratePerSec)
      : (positiveNumber(NAME, "periodMs", input.periodMs) * 1000) /
        positiveInteger(NAME, "limit", input.limit);
  const rounded = Math.round(us);
  requireThat(NAME, rounded >= 1 && Number.isSafeInteger(rounded), "rate", "is out of range");
  return rounded;
}

const LUA = `
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
${LUA_NOW_US}
local tat = tonumber(redis.call('GET', KEYS[1]) or now_us)
if tat < now_us then tat = now_us end
local new_tat = tat + interval * cost
local diff = now_us - (new_tat - interval * burst)
if diff < 0 then
  return {0, math.ceil(-diff / 1000), math.max(0, math.floor((diff + interval * cost) / interval))}
end
if cost > 0 then
  redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now_us) / 1000))
end
return {1, 0, math.floor(diff / interval)}
`;

function local(db: LocalDb, keys: string[], argv: string[]): number[] {
  const [key = ""] = keys;
  const [interval, burst, cost] = argv.map(Number) as [number, number, number];
  const nowUs = Math.floor(db.timeMs() * 1000);
  const stored = db.get(key);
  const tat = Math.max(stored === null ? nowUs : Number(stored), nowUs);
  const newTat = tat + interval * cost;
  const diff = nowUs - (newTat - interval * burst);
  if (diff < 0) {
    return [0, Math.ceil(-diff / 1000), Math.max(0, Math.floor((diff + interval * cost) / interval))];
  }
  if (cost > 0) db.set(key, newTat.toFixed(0), { px: Math.ceil((newTat - nowUs) / 1000) });
  return [1, 0, Math.floor(diff / interval)];
}

export const rateLimit: Script<RateLimitInput, RateLimitResult> = {
  name: NAME,
  numberOfKeys: 1,
  lua: LUA,
  local,
  encode(input, key) {
    const burst = positiveInteger(NAME, "burst", input.burst);
    const cost = nonNegativeInteger(NAME, "cost", input.cost ?? 1);
    // A cost above the burst could never be allowed: a configuration mistake.
    requireThat(NAME, cost <= burst, "cost", "must not exceed burst");
    return { keys: [tagged(NAME, "rate", input.key, key)], argv: [emissionIntervalUs(input), burst, cost] };
  },
  decode(reply) {
    const [allowed, retryAfterMs, remaining] = replyArray(NAME, reply, 3);
    return {
      allowed: replyInteger(NAME, allowed) === 1,
      retryAfterMs: replyInteger(NAME, retryAfterMs),
      remaining: replyInteger(NAME, remaining),
    };
  },
};
