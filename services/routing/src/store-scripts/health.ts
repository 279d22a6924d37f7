/**
 * Channel health in the store, shared by every routing replica. One hash per scope
 * (`health:{d:<district>}` for a district's channels and routes, `health:{o:<operator>}` for SMS
 * routes of an operator), so one read gives everything a decision needs. Fields:
 *   `b|<series>|<slot>`  a ring of time buckets: "epoch,sent,delivered,failed,verified,h0..h9"
 *   `s|<series>`         the series' state: "<state>,<since ms>"
 * A bucket whose epoch is not the current one is reset when written, so the ring never holds
 * more than one window. The hash expires when nothing has been written for `ttlMs`.
 * A separate index hash `health:{index}` lists the scopes written recently.
 */
import type { LocalDb, Script } from "@platform/store/port";
import { replyArray, replyInteger, replyString } from "@platform/store/reply";
import {
  integer,
  nonNegativeInteger,
  positiveInteger,
  requireThat,
  tagged,
} from "@platform/store/scripts/common";

import { BUCKET_FIELDS_COUNT } from "../core/health-window";

/** Counts in a bucket: epoch, sent, delivered, failed, verified, then the histogram. */
const BUCKET_FIELDS = BUCKET_FIELDS_COUNT;
const HISTOGRAM_OFFSET = 5;

const SERIES = /^[A-Za-z0-9._/-]{1,96}$/;

export interface SeriesIncrement {
  series: string;
  /** Sends less sends taken back (neutral outcomes): may be negative. */
  sent: number;
  delivered: number;
  failed: number;
  verified: number;
  /** Index into the latency histogram, or -1. */
  histogramIndex: number;
}

export interface RecordHealthInput {
  scope: string;
  atMs: number;
  bucketMs: number;
  slots: number;
  ttlMs: number;
  increments: SeriesIncrement[];
}

const RECORD_LUA = `
local bucket_ms = tonumber(ARGV[1])
local slots = tonumber(ARGV[2])
local epoch = math.floor(tonumber(ARGV[4]) / bucket_ms)
local slot = epoch % slots
for i = 5, #ARGV, 6 do
  local field = 'b|' .. ARGV[i] .. '|' .. slot
  local counts = {}
  local current = redis.call('HGET', KEYS[1], field)
  if current then
    for part in string.gmatch(current, '[^,]+') do counts[#counts + 1] = tonumber(part) end
  end
  if #counts ~= ${BUCKET_FIELDS} or counts[1] ~= epoch then
    counts = {epoch}
    for k = 2, ${BUCKET_FIELDS} do counts[k] = 0 end
  end
  for k = 1, 4 do counts[k + 1] = counts[k + 1] + tonumber(ARGV[i + k]) end
  if counts[2] < 0 then counts[2] = 0 end
  local h = tonumber(ARGV[i + 5])
  if h >= 0 then counts[${HISTOGRAM_OFFSET} + 1 + h] = counts[${HISTOGRAM_OFFSET} + 1 + h] + tonumber(ARGV[i + 2]) end
  redis.call('HSET', KEYS[1], field, table.concat(counts, ','))
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

function recordLocal(db: LocalDb, [key = ""]: string[], argv: string[]): number {
  const bucketMs = Number(argv[0]);
  const slots = Number(argv[1]);
  const epoch = Math.floor(Number(argv[3]) / bucketMs);
  const slot = epoch % slots;
  for (let i = 4; i + 5 < argv.length; i += 6) {
    const field = `b|${argv[i]}|${slot}`;
    let counts = (db.hget(key, field) ?? "").split(",").filter(Boolean).map(Number);
    if (counts.length !== BUCKET_FIELDS || counts[0] !== epoch) {
      counts = [epoch, ...new Array<number>(BUCKET_FIELDS - 1).fill(0)];
    }
    for (let k = 1; k <= 4; k++) counts[k]! += Number(argv[i + k]);
    // A neutral outcome takes a send back; a bucket never holds fewer than none.
    counts[1] = Math.max(0, counts[1]!);
    const h = Number(argv[i + 5]);
    // Each delivered sample of this increment falls in the same latency slot.
    if (h >= 0) counts[HISTOGRAM_OFFSET + h]! += Number(argv[i + 2]);
    db.hset(key, { [field]: counts.join(",") });
  }
  db.pexpire(key, Number(argv[2]));
  return 1;
}

export const recordHealth: Script<RecordHealthInput, boolean> = {
  name: "otpRoutingRecordHealth",
  numberOfKeys: 1,
  lua: RECORD_LUA,
  local: recordLocal,
  encode(input, key) {
    const name = "otpRoutingRecordHealth";
    requireThat(name, input.increments.length > 0, "increments", "must not be empty");
    const argv: (string | number)[] = [
      positiveInteger(name, "bucketMs", input.bucketMs),
      positiveInteger(name, "slots", input.slots),
      positiveInteger(name, "ttlMs", input.ttlMs),
      nonNegativeInteger(name, "atMs", input.atMs),
    ];
    for (const inc of input.increments) {
      requireThat(name, SERIES.test(inc.series), "series", "must be 1-96 of [A-Za-z0-9._/-]");
      requireThat(
        name,
        inc.histogramIndex >= -1 && inc.histogramIndex < BUCKET_FIELDS - HISTOGRAM_OFFSET,
        "histogramIndex",
        "out of range",
      );
      argv.push(
        inc.series,
        // Negative when neutral outcomes (sends taken back) outnumber the sends of the batch.
        integer(name, "sent", inc.sent),
        nonNegativeInteger(name, "delivered", inc.delivered),
        nonNegativeInteger(name, "failed", inc.failed),
        nonNegativeInteger(name, "verified", inc.verified),
        inc.histogramIndex,
      );
    }
    return { keys: [tagged(name, "health", input.scope, key)], argv };
  },
  decode: (reply) => replyInteger("otpRoutingRecordHealth", reply) === 1,
};

/** Every field of a scope, as stored. */
export const readHealthScope: Script<string, Record<string, string>> = {
  name: "otpRoutingReadHealth",
  numberOfKeys: 1,
  lua: "return redis.call('HGETALL', KEYS[1])",
  local: (db, [key = ""]) => Object.entries(db.hgetall(key)).flat(),
  encode: (scope, key) => ({ keys: [tagged("otpRoutingReadHealth", "health", scope, key)], argv: [] }),
  decode(reply) {
    const items = replyArray("otpRoutingReadHealth", reply);
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < items.length; i += 2) {
      out[replyString("otpRoutingReadHealth", items[i])] = replyString("otpRoutingReadHealth", items[i + 1]);
    }
    return out;
  },
};

export interface TransitionHealthInput {
  scope: string;
  series: string;
  /** The state read ("" when there was none): the change applies only if it is still there. */
  expected: string;
  next: string;
  ttlMs: number;
}

export const transitionHealth: Script<TransitionHealthInput, boolean> = {
  name: "otpRoutingTransitionHealth",
  numberOfKeys: 1,
  lua: `
local field = 's|' .. ARGV[1]
local current = redis.call('HGET', KEYS[1], field) or ''
if current ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], field, ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`,
  local(db, [key = ""], [series = "", expected = "", next = "", ttl = ""]) {
    const field = `s|${series}`;
    if ((db.hget(key, field) ?? "") !== expected) return 0;
    db.hset(key, { [field]: next });
    db.pexpire(key, Number(ttl));
    return 1;
  },
  encode(input, key) {
    const name = "otpRoutingTransitionHealth";
    requireThat(name, SERIES.test(input.series), "series", "must be 1-96 of [A-Za-z0-9._/-]");
    return {
      keys: [tagged(name, "health", input.scope, key)],
      argv: [input.series, input.expected, input.next, positiveInteger(name, "ttlMs", input.ttlMs)],
    };
  },
  /** True when this caller made the change (and should announce it). */
  decode: (reply) => replyInteger("otpRoutingTransitionHealth", reply) === 1,
};

const INDEX = "index";

export const touchHealthIndex: Script<{ scope: string; atMs: number }, boolean> = {
  name: "otpRoutingTouchHealthIndex",
  numberOfKeys: 1,
  lua: "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return 1",
  local(db, [key = ""], [scope = "", at = ""]) {
    db.hset(key, { [scope]: at });
    return 1;
  },
  encode: (input, key) => ({
    keys: [tagged("otpRoutingTouchHealthIndex", "health", INDEX, key)],
    argv: [input.scope, nonNegativeInteger("otpRoutingTouchHealthIndex", "atMs", input.atMs)],
  }),
  decode: (reply) => replyInteger("otpRoutingTouchHealthIndex", reply) === 1,
};

/** Scopes written since `nowMs - maxAgeMs`; older entries are removed. */
export const readHealthIndex: Script<{ nowMs: number; maxAgeMs: number }, string[]> = {
  name: "otpRoutingReadHealthIndex",
  numberOfKeys: 1,
  lua: `
local all = redis.call('HGETALL', KEYS[1])
local horizon = tonumber(ARGV[1]) - tonumber(ARGV[2])
local live = {}
for i = 1, #all, 2 do
  if tonumber(all[i + 1]) < horizon then redis.call('HDEL', KEYS[1], all[i])
  else live[#live + 1] = all[i] end
end
return live
`,
  local(db, [key = ""], [now = "", maxAge = ""]) {
    const horizon = Number(now) - Number(maxAge);
    const live: string[] = [];
    for (const [scope, at] of Object.entries(db.hgetall(key))) {
      if (Number(at) < horizon) db.hdel(key, scope);
      else live.push(scope);
    }
    return live;
  },
  encode: (input, key) => ({
    keys: [tagged("otpRoutingReadHealthIndex", "health", INDEX, key)],
    argv: [
      nonNegativeInteger("otpRoutingReadHealthIndex", "nowMs", input.nowMs),
      positiveInteger("otpRoutingReadHealthIndex", "maxAgeMs", input.maxAgeMs),
    ],
  }),
  decode: (reply) =>
    replyArray("otpRoutingReadHealthIndex", reply).map((s) => replyString("otpRoutingReadHealthIndex", s)),
};
