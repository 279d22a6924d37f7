/**
 * One verification's routing state in a hash `routing:{<verification id>}` with a version `v`
 * and the state `s` (JSON). Saving compares the version first (compare-and-set), so a
 * receipt on one replica and a fallback timer on another cannot both advance the same step:
 * the second writer reloads and decides again on the newer state.
 */
import { taggedKey, type Script } from "../../../shared/src/store/port";
import { replyArray, replyInteger, replyString } from "../../../shared/src/store/reply";
import { nonNegativeInteger, positiveInteger, requireThat } from "../../../shared/src/store/scripts/common";

const stateKey = (script: string, verificationId: string, key: (suffix: string) => string): string => {
  requireThat(script, /^[A-Za-z0-9_-]{1,128}$/.test(verificationId), "verificationId", "must be an id");
  return key(taggedKey("routing", verificationId));
};

export interface LoadedRoutingState {
  /** 0 when there is no state yet. */
  version: number;
  json: string | undefined;
}

export const loadRoutingState: Script<string, LoadedRoutingState> = {
  name: "otpRoutingLoad",
  numberOfKeys: 1,
  lua: `
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return {0} end
return {tonumber(v), redis.call('HGET', KEYS[1], 's')}
`,
  local(db, [key = ""]) {
    const version = db.hget(key, "v");
    if (version === null) return [0];
    return [Number(version), db.hget(key, "s")];
  },
  encode: (verificationId, key) => ({ keys: [stateKey("otpRoutingLoad", verificationId, key)], argv: [] }),
  decode(reply) {
    const [version, json] = replyArray("otpRoutingLoad", reply, 1);
    const v = replyInteger("otpRoutingLoad", version);
    return { version: v, json: v === 0 ? undefined : replyString("otpRoutingLoad", json) };
  },
};

export interface SaveRoutingStateInput {
  verificationId: string;
  /** The version loaded (0 for a new state). */
  expectedVersion: number;
  json: string;
  ttlMs: number;
}

const SAVE_LUA = `
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', v + 1, 's', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return v + 1
`;

export const saveRoutingState: Script<SaveRoutingStateInput, number> = {
  name: "otpRoutingSave",
  numberOfKeys: 1,
  lua: SAVE_LUA,
  local(db, [key = ""], [expected = "", json = "", ttl = ""]) {
    const current = Number(db.hget(key, "v") ?? "0");
    if (current !== Number(expected)) return 0;
    db.hset(key, { v: String(current + 1), s: json });
    db.pexpire(key, Number(ttl));
    return current + 1;
  },
  encode: (input, key) => ({
    keys: [stateKey("otpRoutingSave", input.verificationId, key)],
    argv: [
      nonNegativeInteger("otpRoutingSave", "expectedVersion", input.expectedVersion),
      input.json,
      positiveInteger("otpRoutingSave", "ttlMs", input.ttlMs),
    ],
  }),
  /** The new version, or 0 when another writer got there first. */
  decode: (reply) => replyInteger("otpRoutingSave", reply),
};
