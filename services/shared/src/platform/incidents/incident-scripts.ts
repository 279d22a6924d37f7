/**
 * Incidents live in one hash (`incidents:{all}`): there are few of them and every routing
 * decision and issuance reads them all (cached). Per incident three fields:
 *   `<id>`           the incident as otp.v1 JSON (never rewritten, so no JSON editing in Lua)
 *   `<id>|resolved`  `{"resolvedAt": ..., "resolvedBy": ...}` once resolved (first resolution wins)
 *   `<id>|end`       ms when it stops mattering (its `until`, or when resolved); reads drop
 *                    incidents whose end is older than the retention.
 */
import type { LocalDb, Script } from "../store/port";
import { taggedKey } from "../store/port";
import { replyArray, replyInteger, replyString } from "../store/reply";
import { nonNegativeInteger, requireThat } from "../store/scripts/common";

const HASH = taggedKey("incidents", "all");

/** Never ends (an incident without `until` lasts until resolved). */
export const NO_END = 9_007_199_254_740_991;

const ID = /^[A-Za-z0-9_-]{1,64}$/;

function checkId(script: string, id: string): string {
  requireThat(script, ID.test(id), "incidentId", "must be 1-64 of [A-Za-z0-9_-]");
  return id;
}

export interface PutIncidentInput {
  incidentId: string;
  json: string;
  endAtMs: number;
}

export const putIncident: Script<PutIncidentInput, boolean> = {
  name: "otpPutIncident",
  numberOfKeys: 1,
  lua: `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], ARGV[1] .. '|end', ARGV[3])
return 1
`,
  local(db, [key = ""], [id = "", json = "", end = ""]) {
    if (db.hget(key, id) !== null) return 0;
    db.hset(key, { [id]: json, [`${id}|end`]: end });
    return 1;
  },
  encode: (input, key) => ({
    keys: [key(HASH)],
    argv: [
      checkId("otpPutIncident", input.incidentId),
      input.json,
      nonNegativeInteger("otpPutIncident", "endAtMs", input.endAtMs),
    ],
  }),
  /** False when an incident with this id exists already. */
  decode: (reply) => replyInteger("otpPutIncident", reply) === 1,
};

export interface ResolveIncidentInput {
  incidentId: string;
  resolutionJson: string;
  resolvedAtMs: number;
}

export interface ResolveIncidentReply {
  found: boolean;
  /** True when this call resolved it; false when it was resolved before. */
  resolvedNow: boolean;
  json: string;
  resolutionJson: string;
}

export const resolveIncident: Script<ResolveIncidentInput, ResolveIncidentReply> = {
  name: "otpResolveIncident",
  numberOfKeys: 1,
  lua: `
local incident = redis.call('HGET', KEYS[1], ARGV[1])
if not incident then return {0} end
local resolved = redis.call('HGET', KEYS[1], ARGV[1] .. '|resolved')
if resolved then return {1, 0, incident, resolved} end
redis.call('HSET', KEYS[1], ARGV[1] .. '|resolved', ARGV[2], ARGV[1] .. '|end', ARGV[3])
return {1, 1, incident, ARGV[2]}
`,
  local(db, [key = ""], [id = "", resolution = "", at = ""]) {
    const incident = db.hget(key, id);
    if (incident === null) return [0];
    const resolved = db.hget(key, `${id}|resolved`);
    if (resolved !== null) return [1, 0, incident, resolved];
    db.hset(key, { [`${id}|resolved`]: resolution, [`${id}|end`]: at });
    return [1, 1, incident, resolution];
  },
  encode: (input, key) => ({
    keys: [key(HASH)],
    argv: [
      checkId("otpResolveIncident", input.incidentId),
      input.resolutionJson,
      nonNegativeInteger("otpResolveIncident", "resolvedAtMs", input.resolvedAtMs),
    ],
  }),
  decode(reply) {
    const [found, resolvedNow, json, resolution] = replyArray("otpResolveIncident", reply, 1);
    if (replyInteger("otpResolveIncident", found) === 0) {
      return { found: false, resolvedNow: false, json: "", resolutionJson: "" };
    }
    return {
      found: true,
      resolvedNow: replyInteger("otpResolveIncident", resolvedNow) === 1,
      json: replyString("otpResolveIncident", json),
      resolutionJson: replyString("otpResolveIncident", resolution),
    };
  },
};

export interface ReadIncidentsInput {
  nowMs: number;
  /** Incidents that ended longer ago than this are deleted. */
  keepEndedMs: number;
}

export interface StoredIncident {
  json: string;
  resolutionJson: string | undefined;
}

const READ_LUA = `
local all = redis.call('HGETALL', KEYS[1])
local horizon = tonumber(ARGV[1]) - tonumber(ARGV[2])
local values = {}
for i = 1, #all, 2 do values[all[i]] = all[i + 1] end
local reply = {}
for field, value in pairs(values) do
  local id = string.match(field, '^(.*)|end$')
  if id then
    if tonumber(value) < horizon then
      redis.call('HDEL', KEYS[1], id, id .. '|resolved', id .. '|end')
    elseif values[id] then
      reply[#reply + 1] = values[id]
      reply[#reply + 1] = values[id .. '|resolved'] or ''
    end
  end
end
return reply
`;

function readLocal(db: LocalDb, [key = ""]: string[], [now = "", keep = ""]: string[]): string[] {
  const values = db.hgetall(key);
  const horizon = Number(now) - Number(keep);
  const reply: string[] = [];
  for (const [field, value] of Object.entries(values)) {
    if (!field.endsWith("|end")) continue;
    const id = field.slice(0, -"|end".length);
    if (Number(value) < horizon) db.hdel(key, id, `${id}|resolved`, field);
    else if (values[id] !== undefined) reply.push(values[id], values[`${id}|resolved`] ?? "");
  }
  return reply;
}

export const readIncidents: Script<ReadIncidentsInput, StoredIncident[]> = {
  name: "otpReadIncidents",
  numberOfKeys: 1,
  lua: READ_LUA,
  local: readLocal,
  encode: (input, key) => ({
    keys: [key(HASH)],
    argv: [
      nonNegativeInteger("otpReadIncidents", "nowMs", input.nowMs),
      nonNegativeInteger("otpReadIncidents", "keepEndedMs", input.keepEndedMs),
    ],
  }),
  decode(reply) {
    const items = replyArray("otpReadIncidents", reply);
    const out: StoredIncident[] = [];
    for (let i = 0; i + 1 < items.length; i += 2) {
      const resolution = replyString("otpReadIncidents", items[i + 1]);
      out.push({
        json: replyString("otpReadIncidents", items[i]),
        resolutionJson: resolution === "" ? undefined : resolution,
      });
    }
    return out;
  },
};
