/**
 * Reads a key and deletes it in one step: the first caller gets the value, every later one
 * nothing. The silent step's state parameter is single use this way, even when two redirects
 * carrying it arrive at two connector replicas at once.
 */
import type { Script } from "../store/port";
import { replyString } from "../store/reply";
import { tagged } from "../store/scripts/common";

const NAME = "otpTakeOnce";

const LUA = `
local value = redis.call('GET', KEYS[1])
if value then redis.call('DEL', KEYS[1]) return value end
return ''
`;

export const takeOnce: Script<{ key: string }, string | undefined> = {
  name: NAME,
  numberOfKeys: 1,
  lua: LUA,
  local(db, keys) {
    const [key = ""] = keys;
    const value = db.get(key);
    if (value === null) return "";
    db.del(key);
    return value;
  },
  encode: (input, key) => ({ keys: [tagged(NAME, "silent", input.key, key)], argv: [] }),
  decode(reply) {
    const value = replyString(NAME, reply);
    return value === "" ? undefined : value;
  },
};
