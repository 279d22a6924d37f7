/**
 * SMS pumping guard counters: per tenant × destination prefix, sends and verified per fixed
 * window, in one hash per window. Judging looks at the current and the previous window, so a
 * prefix does not escape at a window boundary. A prefix whose conversion (verified ÷ sent)
 * stays under the floor after enough sends gets a block key with a TTL.
 */
import type { LocalDb, Script, Store } from "../store/port";
import { taggedKey } from "../store/port";
import { replyArray, replyInteger } from "../store/reply";

export interface PumpKeys {
  tenant: string;
  prefix: string;
  windowIndex: number;
}

const tag = (k: PumpKeys): string => `${k.tenant}|${k.prefix}`;
const windowKey = (k: PumpKeys, index: number): string => taggedKey("pump", tag(k), String(index));
export const pumpBlockKey = (tenant: string, prefix: string): string =>
  taggedKey("pump", `${tenant}|${prefix}`, "block");

export interface RecordSendInput extends PumpKeys {
  windowMs: number;
  minSends: number;
  /** Conversion floor in thousandths (0.2 → 200). */
  minConversionPermille: number;
  blockMs: number;
  /** Report only: judge, but never write the block key. */
  shadow: boolean;
}

export interface RecordSendResult {
  /** The prefix's conversion fell under the floor with this send. */
  judgedLow: boolean;
  sends: number;
  verified: number;
}

const RECORD_SEND_LUA = `
local sends = redis.call('HINCRBY', KEYS[1], 's', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[1] * 2)
local ok = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
local prev = redis.call('HMGET', KEYS[2], 's', 'v')
sends = sends + tonumber(prev[1] or '0')
ok = ok + tonumber(prev[2] or '0')
local low = 0
if sends >= tonumber(ARGV[2]) and ok * 1000 < sends * tonumber(ARGV[3]) then
  low = 1
  if ARGV[5] == '0' then redis.call('SET', KEYS[3], '1', 'PX', ARGV[4]) end
end
return {low, sends, ok}
`;

function recordSendLocal(db: LocalDb, keys: string[], argv: string[]): number[] {
  const [cur = "", prev = "", block = ""] = keys;
  const [windowMs = "0", minSends = "0", permille = "0", blockMs = "0", shadow = "0"] = argv;
  let sends = db.hincrby(cur, "s", 1);
  db.pexpire(cur, Number(windowMs) * 2);
  let ok = Number(db.hget(cur, "v") ?? "0");
  sends += Number(db.hget(prev, "s") ?? "0");
  ok += Number(db.hget(prev, "v") ?? "0");
  const low = sends >= Number(minSends) && ok * 1000 < sends * Number(permille);
  if (low && shadow === "0") db.set(block, "1", { px: Number(blockMs) });
  return [low ? 1 : 0, sends, ok];
}

export const recordPumpSend: Script<RecordSendInput, RecordSendResult> = {
  name: "otpPumpRecordSend",
  numberOfKeys: 3,
  lua: RECORD_SEND_LUA,
  local: recordSendLocal,
  encode: (input, key) => ({
    keys: [
      key(windowKey(input, input.windowIndex)),
      key(windowKey(input, input.windowIndex - 1)),
      key(pumpBlockKey(input.tenant, input.prefix)),
    ],
    argv: [input.windowMs, input.minSends, input.minConversionPermille, input.blockMs, input.shadow ? 1 : 0],
  }),
  decode(reply) {
    const r = replyArray("pumpRecordSend", reply, 3);
    return {
      judgedLow: replyInteger("pumpRecordSend", r[0]) === 1,
      sends: replyInteger("pumpRecordSend", r[1]),
      verified: replyInteger("pumpRecordSend", r[2]),
    };
  },
};

export const recordPumpVerified: Script<PumpKeys & { windowMs: number }, number> = {
  name: "otpPumpRecordVerified",
  numberOfKeys: 1,
  lua: "local v = redis.call('HINCRBY', KEYS[1], 'v', 1) redis.call('PEXPIRE', KEYS[1], ARGV[1] * 2) return v",
  local(db, keys, argv) {
    const v = db.hincrby(keys[0] ?? "", "v", 1);
    db.pexpire(keys[0] ?? "", Number(argv[0]) * 2);
    return v;
  },
  encode: (input, key) => ({ keys: [key(windowKey(input, input.windowIndex))], argv: [input.windowMs] }),
  decode: (reply) => replyInteger("pumpRecordVerified", reply),
};

/**
 * A verified code counts toward its destination prefix's conversion, in the guard's current
 * window. Nothing to do (and nothing to read) when the tenant's guard is off.
 */
export async function recordConversion(
  store: Store,
  guard: { enabled: boolean; windowSeconds: number },
  tenant: string,
  prefixOf: () => Promise<string | undefined>,
  now: number,
): Promise<void> {
  if (!guard.enabled) return;
  const prefix = await prefixOf();
  if (prefix === undefined) return;
  const windowMs = guard.windowSeconds * 1000;
  await store.run(recordPumpVerified, { tenant, prefix, windowIndex: Math.floor(now / windowMs), windowMs });
}
