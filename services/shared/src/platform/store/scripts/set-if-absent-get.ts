/**
 * First writer wins: sets the key with a TTL unless it exists, and returns the value that is
 * there now (ours or the winner's). Used for idempotency keys: a retried request finds the
 * first request's result id instead of starting a second verification.
 */
import type { Script } from "../port";
import { replyArray, replyInteger, replyString } from "../reply";
import { positiveInteger, tagged } from "./common";

const NAME = "otpSetIfAbsentGet";

export interface SetIfAbsentGetInput {
  key: string;
  value: string;
  ttlMs: number;
}

export interface SetIfAbsentGetResult {
  /** True when this call wrote the value. */
  created: boolean;
  /** The value stored under the key: ours when created, else the first writer's. */
  value: string;
}

const LUA = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, ARGV[1]}
end
return {0, redis.call('GET', KEYS[1])}
`;

export const setIfAbsentGet: Script<SetIfAbsentGetInput, SetIfAbsentGetResult> = {
  name: NAME,
  numberOfKeys: 1,
  lua: LUA,
  local(db, keys, argv) {
    const [key = ""] = keys;
    const [value = "", ttlMs = ""] = argv;
    if (db.set(key, value, { nx: true, px: Number(ttlMs) })) return [1, value];
    return [0, db.get(key)];
  },
  encode: (input, key) => ({
    keys: [tagged(NAME, "once", input.key, key)],
    argv: [input.value, positiveInteger(NAME, "ttlMs", input.ttlMs)],
  }),
  decode(reply) {
    const [created, value] = replyArray(NAME, reply, 2);
    return { created: replyInteger(NAME, created) === 1, value: replyString(NAME, value) };
  },
};
