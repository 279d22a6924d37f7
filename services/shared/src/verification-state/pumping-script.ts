/**
 * SMS pumping guard counters: per tenant × destination prefix, sends and verified per fixed
 * window, in one hash per window. Judging looks at the current and the previous window, so a
 * prefix does not escape at a window boundary. A prefix whose conversion (verified ÷ sent)
 * stays under the floor after enough sends gets a block key with a TTL.
 *
 * Sends are recorded by issuance's limits script (services/issuance/src/limits-script.ts),
 * which runs `LUA_PUMP_RECORD_SEND` / `pumpRecordSendLocal` with every other limit of a start;
 * the keys carry the tenant as their hash tag so they share that script's cluster slot.
 */
import type { LocalDb, Script } from "@platform/store/port";
import { taggedKey } from "@platform/store/port";
import { replyInteger } from "@platform/store/reply";

export interface PumpKeys {
  tenant: string;
  prefix: string;
  windowIndex: number;
}

export const pumpWindowKey = (k: PumpKeys, index: number): string =>
  taggedKey("pump", k.tenant, `${k.prefix}|${index}`);
export const pumpBlockKey = (tenant: string, prefix: string): string =>
  taggedKey("pump", tenant, `${prefix}|block`);

export interface PumpJudgement {
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

/**
 * A Lua function: counts one send in the current window (`cur`), judges the conversion over it
 * and the previous window (`prev`), and writes the block key unless `shadow` is '1'.
 * Returns {low (0/1), sends, verified}.
 */
export const LUA_PUMP_RECORD_SEND = `
local function pump_record_send(cur, prev, block, window_ms, min_sends, permille, block_ms, shadow)
  local sends = redis.call('HINCRBY', cur, 's', 1)
  redis.call('PEXPIRE', cur, tonumber(window_ms) * 2)
  local ok = tonumber(redis.call('HGET', cur, 'v') or '0')
  local before = redis.call('HMGET', prev, 's', 'v')
  sends = sends + tonumber(before[1] or '0')
  ok = ok + tonumber(before[2] or '0')
  local low = 0
  if sends >= tonumber(min_sends) and ok * 1000 < sends * tonumber(permille) then
    low = 1
    if shadow == '0' then redis.call('SET', block, '1', 'PX', block_ms) end
  end
  return {low, sends, ok}
end
`;

/** The TypeScript twin of `pump_record_send`. */
export function pumpRecordSendLocal(
  db: LocalDb,
  [cur, prev, block]: [string, string, string],
  judgement: PumpJudgement,
): [number, number, number] {
  let sends = db.hincrby(cur, "s", 1);
  db.pexpire(cur, judgement.windowMs * 2);
  let ok = Number(db.hget(cur, "v") ?? "0");
  sends += Number(db.hget(prev, "s") ?? "0");
  ok += Number(db.hget(prev, "v") ?? "0");
  const low = sends >= judgement.minSends && ok * 1000 < sends * judgement.minConversionPermille;
  if (low && !judgement.shadow) db.set(block, "1", { px: judgement.blockMs });
  return [low ? 1 : 0, sends, ok];
}

/** Adds `count` verified codes (one, or a second's worth added up) to a prefix's window. */
export const recordPumpVerified: Script<PumpKeys & { windowMs: number; count?: number }, number> = {
  name: "otpPumpRecordVerified",
  numberOfKeys: 1,
  lua: "local v = redis.call('HINCRBY', KEYS[1], 'v', ARGV[2]) redis.call('PEXPIRE', KEYS[1], ARGV[1] * 2) return v",
  local(db, keys, argv) {
    const v = db.hincrby(keys[0] ?? "", "v", Number(argv[1]));
    db.pexpire(keys[0] ?? "", Number(argv[0]) * 2);
    return v;
  },
  encode: (input, key) => ({
    keys: [key(pumpWindowKey(input, input.windowIndex))],
    argv: [input.windowMs, input.count ?? 1],
  }),
  decode: (reply) => replyInteger("pumpRecordVerified", reply),
};

/** The window a verified code counts in: the guard's current one. */
export function conversionWindow(
  guard: { windowSeconds: number },
  now: number,
): { windowIndex: number; windowMs: number } {
  const windowMs = guard.windowSeconds * 1000;
  return { windowIndex: Math.floor(now / windowMs), windowMs };
}
