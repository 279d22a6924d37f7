/**
 * Store scripts of the voice connector, each a Lua body for Redis and a local body for the
 * in-process store (same logic, atomic in both).
 *   trackCall  one hash per verification, field = call id, value = "<attempt>|<rank>|<status>";
 *              a status is written only when its rank is higher than the stored one (calls
 *              move forward only, final statuses never change); the hash lives at least ttlMs.
 *              Says whether the call moved, the same value was there already, or it was stale.
 *   listCalls  the hash's fields and values.
 *   takeValue  GET then DEL: a value read exactly once.
 */
import type { Script } from "@platform/store/port";
import type { TrackOutcome } from "./call-registry";
import { replyArray, replyInteger, replyString } from "@platform/store/reply";
import { nonNegativeInteger, positiveInteger, tagged } from "@platform/store/scripts/common";

export interface TrackCallInput {
  verificationId: string;
  callId: string;
  attempt: number;
  status: string;
  /** Higher is later in the call's life. */
  rank: number;
  ttlMs: number;
}

export interface StoredCall {
  callId: string;
  attempt: number;
  status: string;
}

const TRACK = "otpVoiceTrackCall";
const LIST = "otpVoiceListCalls";
const TAKE = "otpVoiceTakeValue";

const callsKey = (script: string, verificationId: string, key: (suffix: string) => string) =>
  tagged(script, "voice-calls", verificationId, key);

const TRACK_LUA = `
local value = ARGV[2] .. '|' .. ARGV[4] .. '|' .. ARGV[3]
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current == value then return 2 end
if current then
  local rank = tonumber(string.match(current, '^[^|]*|(%d+)|'))
  if rank and tonumber(ARGV[4]) <= rank then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], value)
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[5]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
end
return 1
`;

const storedRank = (value: string): number | undefined => {
  const match = /^[^|]*\|(\d+)\|/.exec(value);
  return match?.[1] === undefined ? undefined : Number(match[1]);
};

const TRACK_OUTCOMES: Record<number, TrackOutcome> = { 0: "stale", 1: "moved", 2: "repeated" };

export const trackCall: Script<TrackCallInput, TrackOutcome> = {
  name: TRACK,
  numberOfKeys: 1,
  lua: TRACK_LUA,
  local(db, keys, argv) {
    const [key = ""] = keys;
    const [callId = "", attempt = "", status = "", rank = "", ttlMs = ""] = argv;
    const value = `${attempt}|${rank}|${status}`;
    const current = db.hget(key, callId);
    if (current === value) return 2;
    const currentRank = current === null ? undefined : storedRank(current);
    if (currentRank !== undefined && Number(rank) <= currentRank) return 0;
    db.hset(key, { [callId]: value });
    if (db.pttl(key) < Number(ttlMs)) db.pexpire(key, Number(ttlMs));
    return 1;
  },
  encode: (input, key) => ({
    keys: [callsKey(TRACK, input.verificationId, key)],
    argv: [
      input.callId,
      positiveInteger(TRACK, "attempt", input.attempt),
      input.status,
      nonNegativeInteger(TRACK, "rank", input.rank),
      positiveInteger(TRACK, "ttlMs", input.ttlMs),
    ],
  }),
  decode: (reply) => TRACK_OUTCOMES[replyInteger(TRACK, reply)] ?? "stale",
};

export const listCalls: Script<{ verificationId: string }, StoredCall[]> = {
  name: LIST,
  numberOfKeys: 1,
  lua: "return redis.call('HGETALL', KEYS[1])",
  local(db, keys) {
    return Object.entries(db.hgetall(keys[0] ?? "")).flat();
  },
  encode: (input, key) => ({ keys: [callsKey(LIST, input.verificationId, key)], argv: [] }),
  decode(reply) {
    const flat = replyArray(LIST, reply);
    const calls: StoredCall[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const [attempt = "", , status = ""] = replyString(LIST, flat[i + 1]).split("|");
      calls.push({ callId: replyString(LIST, flat[i]), attempt: Number(attempt), status });
    }
    return calls;
  },
};

export const takeValue: Script<{ key: string }, string | null> = {
  name: TAKE,
  numberOfKeys: 1,
  lua: `
local value = redis.call('GET', KEYS[1])
if value then redis.call('DEL', KEYS[1]) end
return value
`,
  local(db, keys) {
    const [key = ""] = keys;
    const value = db.get(key);
    if (value !== null) db.del(key);
    return value;
  },
  encode: (input) => ({ keys: [input.key], argv: [] }),
  decode: (reply) => (reply === null ? null : replyString(TAKE, reply)),
};
