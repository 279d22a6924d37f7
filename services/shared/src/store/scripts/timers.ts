/**
 * Durable timers shared by replicas: a sorted set of timer ids scored by due time (ms).
 *
 * `claimDue` atomically takes up to `limit` due ids and re-scores them to `now + leaseMs`:
 * the claimer holds a lease. If it fires the timer it acks with the lease it got (removed only
 * if nobody re-scheduled or re-claimed it since); if it dies, the id becomes due again when the
 * lease runs out and another replica claims it. So each timer fires once per successful lease,
 * at least once overall: firing must be idempotent (keyed on the timer id).
 */
import type { LocalDb, Script } from "../port";
import { replyArray, replyInteger, replyString } from "../reply";
import { LUA_SERVER_TIME_MS, nonNegativeInteger, positiveInteger, tagged } from "./common";

export interface TimerRef {
  /** The timer set, e.g. `fallback` or `fallback:<shard>`. */
  key: string;
  id: string;
}

export interface ScheduleTimerInput extends TimerRef {
  dueAtMs: number;
}

export interface ClaimDueInput {
  key: string;
  /** Claim as of this time (ms); the store's server time when absent. */
  now?: number;
  limit: number;
  leaseMs: number;
}

export interface ClaimedTimers {
  /** The lease every claimed id holds until; pass it to ackTimer. */
  lease: number;
  /** Due ids, earliest first. */
  ids: string[];
}

export interface AckTimerInput extends TimerRef {
  lease: number;
}

const timerSet = (script: string, name: string, key: (suffix: string) => string) =>
  tagged(script, "timers", name, key);

function timeMs(script: string, field: string, value: number): number {
  return nonNegativeInteger(script, field, value);
}

export const scheduleTimer: Script<ScheduleTimerInput, boolean> = {
  name: "otpScheduleTimer",
  numberOfKeys: 1,
  lua: "return redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])",
  local: (db, keys, argv) => db.zadd(keys[0] ?? "", Number(argv[0]), argv[1] ?? ""),
  encode: (input, key) => ({
    keys: [timerSet("otpScheduleTimer", input.key, key)],
    argv: [timeMs("otpScheduleTimer", "dueAtMs", input.dueAtMs), input.id],
  }),
  /** True when the timer was new, false when an existing one was re-scheduled. */
  decode: (reply) => replyInteger("otpScheduleTimer", reply) === 1,
};

export const cancelTimer: Script<TimerRef, boolean> = {
  name: "otpCancelTimer",
  numberOfKeys: 1,
  lua: "return redis.call('ZREM', KEYS[1], ARGV[1])",
  local: (db, keys, argv) => db.zrem(keys[0] ?? "", argv[0] ?? ""),
  encode: (input, key) => ({ keys: [timerSet("otpCancelTimer", input.key, key)], argv: [input.id] }),
  decode: (reply) => replyInteger("otpCancelTimer", reply) === 1,
};

const CLAIM_LUA = `
local now_ms = tonumber(ARGV[1])
if not now_ms then
  now_ms = ${LUA_SERVER_TIME_MS}
end
local lease = now_ms + tonumber(ARGV[3])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms, 'LIMIT', 0, tonumber(ARGV[2]))
local reply = {lease}
for i, id in ipairs(due) do
  redis.call('ZADD', KEYS[1], lease, id)
  reply[i + 1] = id
end
return reply
`;

function claimLocal(db: LocalDb, keys: string[], argv: string[]): (number | string)[] {
  const [key = ""] = keys;
  const nowMs = argv[0] === "" ? Math.floor(db.timeMs()) : Number(argv[0]);
  const lease = nowMs + Number(argv[2]);
  const due = db.zrangebyscore(key, -Infinity, nowMs, Number(argv[1]));
  for (const [id] of due) db.zadd(key, lease, id);
  return [lease, ...due.map(([id]) => id)];
}

export const claimDue: Script<ClaimDueInput, ClaimedTimers> = {
  name: "otpClaimDue",
  numberOfKeys: 1,
  lua: CLAIM_LUA,
  local: claimLocal,
  encode: (input, key) => ({
    keys: [timerSet("otpClaimDue", input.key, key)],
    argv: [
      input.now === undefined ? "" : timeMs("otpClaimDue", "now", input.now),
      positiveInteger("otpClaimDue", "limit", input.limit),
      positiveInteger("otpClaimDue", "leaseMs", input.leaseMs),
    ],
  }),
  decode: (reply) => {
    const [lease, ...ids] = replyArray("otpClaimDue", reply, 1);
    return {
      lease: replyInteger("otpClaimDue", lease),
      ids: ids.map((id) => replyString("otpClaimDue", id)),
    };
  },
};

const ACK_LUA = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0
`;

export const ackTimer: Script<AckTimerInput, boolean> = {
  name: "otpAckTimer",
  numberOfKeys: 1,
  lua: ACK_LUA,
  local: (db, keys, argv) => {
    const [key = ""] = keys;
    const score = db.zscore(key, argv[0] ?? "");
    return score !== null && score === Number(argv[1]) ? db.zrem(key, argv[0] ?? "") : 0;
  },
  encode: (input, key) => ({
    keys: [timerSet("otpAckTimer", input.key, key)],
    argv: [input.id, timeMs("otpAckTimer", "lease", input.lease)],
  }),
  /** True when the id was removed; false when its lease had moved on (or it was gone). */
  decode: (reply) => replyInteger("otpAckTimer", reply) === 1,
};
