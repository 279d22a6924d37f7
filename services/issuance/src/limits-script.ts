/**
 * Every limit of a start (or of a resend) in one store call: the tenant request rate (GCRA),
 * the idempotency key, the active verification for phone + purpose, the pumping block, the
 * capped windows (starts and sends per phone, per client IP and device, per destination prefix
 * and country) and the pumping guard's send record.
 *
 * Order and refusal: the tenant rate is counted first and stays counted, whatever follows
 * (it limits requests, answered or not). An existing idempotency key or active verification
 * answers with its verification id and counts nothing more; an idempotency key first used with
 * other parameters (its value holds their keyed fingerprint) answers a mismatch instead, in the
 * same lookup, so the comparison costs no round trip. Then every window is checked before
 * any is counted: a start refused by one limit counts in none of the others, claims neither key
 * and records no send. Only when all pass are the windows counted, the keys claimed and the send
 * recorded.
 *
 * Every key carries the tenant as its hash tag, so the script is valid on Redis Cluster (see
 * docs/adr/0008-start-limits-in-one-script.md). The TypeScript twin (`local`) runs the same
 * steps on the in-process store; limits-script.test.ts runs the same cases through both.
 */
import { OtpError } from "@domain/errors";
import { idempotencyTarget } from "@verification-state/projector";
import {
  LUA_PUMP_RECORD_SEND,
  pumpBlockKey,
  pumpRecordSendLocal,
  pumpWindowKey,
  type PumpJudgement,
  type RecordSendResult,
} from "@verification-state/pumping-script";
import { taggedKey, type LocalDb, type LocalReply, type Script } from "@platform/store/port";
import { replyArray, replyInteger, replyString } from "@platform/store/reply";
import { LUA_NOW_US } from "@platform/store/scripts/common";

const NAME = "otpAdmitLimits";

/** Windows a call can check: a start's six (phone, IP, device, sends, prefix, country). */
const MAX_WINDOWS = 6;

export interface LimitWindow {
  /** What is counted, under the tenant: e.g. `send|<phone key>`. */
  name: string;
  windowMs: number;
  limit: number;
}

export interface LimitsInput {
  tenant: string;
  /** The tenant request rate; absent when this request was counted already. */
  rate?: { ratePerSec: number; burst: number };
  /**
   * First writer wins: an existing key answers `idempotent` with the verification it names, or
   * `idempotency-mismatch` when it was first used with other parameters. Key from
   * idempotencyKey(), value from idempotencyValue() (verification id and parameter fingerprint).
   */
  idempotency?: { key: string; value: string; ttlMs: number };
  /**
   * The active verification for phone + purpose (key from activeKey()): an existing one answers
   * `active`, unless it holds `replacing` (a verification the caller found ended).
   */
  active?: { key: string; value: string; ttlMs: number; replacing?: string };
  /** Refuse while the pumping guard blocks this destination prefix. */
  blockedPrefix?: string;
  /** Checked in order; the first refusal answers. At most MAX_WINDOWS. */
  windows: LimitWindow[];
  /** Record the send for the pumping guard (after every check passed). */
  pump?: PumpJudgement & { prefix: string; windowIndex: number };
}

export type LimitsResult =
  | { kind: "admitted"; pump: RecordSendResult }
  | { kind: "rate-limited"; retryAfterMs: number }
  | { kind: "idempotent"; verificationId: string }
  | { kind: "idempotency-mismatch"; verificationId: string }
  | { kind: "active"; verificationId: string }
  | { kind: "blocked" }
  /** `window` indexes the input's windows. */
  | { kind: "window-limited"; window: number; retryAfterMs: number };

const ADMITTED = 1;
const RATE_LIMITED = 2;
const IDEMPOTENT = 3;
const ACTIVE = 4;
const BLOCKED = 5;
const WINDOW_LIMITED = 6;
const IDEMPOTENCY_MISMATCH = 7;

// KEYS: 1 rate, 2 idempotency, 3 active, 4 pumping block, 5 pumping window, 6 previous pumping
// window, 7.. the windows. Parts that are off get the rate key as a placeholder (never touched).
// ARGV: 1 interval µs (0: off), 2 burst, 3 idempotency value ('': off), 4 its ttl, 5 active
// value ('': off), 6 its ttl, 7 replacing, 8 block check '1'/'0', 9 pump '1'/'0', 10-14 pump
// judgement, then per window: window ms, limit (0: off).
const WINDOW_ARGV = 15;
const WINDOW_KEYS = 7;

const LUA = `
${LUA_PUMP_RECORD_SEND}
${LUA_NOW_US}
local interval = tonumber(ARGV[1])
if interval > 0 then
  local burst = tonumber(ARGV[2])
  local tat = tonumber(redis.call('GET', KEYS[1]) or now_us)
  if tat < now_us then tat = now_us end
  local new_tat = tat + interval
  local diff = now_us - (new_tat - interval * burst)
  if diff < 0 then return {${RATE_LIMITED}, math.ceil(-diff / 1000)} end
  redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now_us) / 1000))
end
if ARGV[3] ~= '' then
  local first = redis.call('GET', KEYS[2])
  if first then
    local bar = string.find(first, '|', 1, true)
    local id, fp = first, ''
    if bar then id, fp = string.sub(first, 1, bar - 1), string.sub(first, bar + 1) end
    local wbar = string.find(ARGV[3], '|', 1, true)
    local want = wbar and string.sub(ARGV[3], wbar + 1) or ''
    if fp ~= '' and want ~= '' and fp ~= want then return {${IDEMPOTENCY_MISMATCH}, id} end
    return {${IDEMPOTENT}, id}
  end
end
if ARGV[5] ~= '' then
  local holder = redis.call('GET', KEYS[3])
  if holder and holder ~= ARGV[7] then return {${ACTIVE}, holder} end
end
if ARGV[8] == '1' and redis.call('EXISTS', KEYS[4]) == 1 then return {${BLOCKED}} end
for i = 0, ${MAX_WINDOWS - 1} do
  local window, limit = tonumber(ARGV[${WINDOW_ARGV} + 2 * i]), tonumber(ARGV[${WINDOW_ARGV + 1} + 2 * i])
  local key = KEYS[${WINDOW_KEYS} + i]
  if limit > 0 and tonumber(redis.call('GET', key) or '0') + 1 > limit then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then
      redis.call('PEXPIRE', key, window)
      ttl = window
    end
    return {${WINDOW_LIMITED}, i, math.max(ttl, 1)}
  end
end
for i = 0, ${MAX_WINDOWS - 1} do
  if tonumber(ARGV[${WINDOW_ARGV + 1} + 2 * i]) > 0 then
    local key = KEYS[${WINDOW_KEYS} + i]
    redis.call('INCR', key)
    if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, ARGV[${WINDOW_ARGV} + 2 * i]) end
  end
end
if ARGV[3] ~= '' then redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4]) end
if ARGV[5] ~= '' then redis.call('SET', KEYS[3], ARGV[5], 'PX', ARGV[6]) end
if ARGV[9] == '1' then
  local r = pump_record_send(KEYS[5], KEYS[6], KEYS[4], ARGV[10], ARGV[11], ARGV[12], ARGV[13], ARGV[14])
  return {${ADMITTED}, r[1], r[2], r[3]}
end
return {${ADMITTED}, 0, 0, 0}
`;

function local(db: LocalDb, keys: string[], argv: string[]): LocalReply {
  const key = (i: number): string => keys[i] ?? "";
  const arg = (i: number): string => argv[i] ?? "";
  const nowUs = Math.floor(db.timeMs() * 1000);
  const interval = Number(arg(0));
  if (interval > 0) {
    const stored = db.get(key(0));
    const tat = Math.max(stored === null ? nowUs : Number(stored), nowUs);
    const newTat = tat + interval;
    const diff = nowUs - (newTat - interval * Number(arg(1)));
    if (diff < 0) return [RATE_LIMITED, Math.ceil(-diff / 1000)];
    db.set(key(0), newTat.toFixed(0), { px: Math.ceil((newTat - nowUs) / 1000) });
  }
  if (arg(2) !== "") {
    const first = db.get(key(1));
    if (first !== null) {
      const held = idempotencyTarget(first);
      const want = idempotencyTarget(arg(2)).fingerprint;
      const differs = held.fingerprint !== "" && want !== "" && held.fingerprint !== want;
      return [differs ? IDEMPOTENCY_MISMATCH : IDEMPOTENT, held.verificationId];
    }
  }
  if (arg(4) !== "") {
    const holder = db.get(key(2));
    if (holder !== null && holder !== arg(6)) return [ACTIVE, holder];
  }
  if (arg(7) === "1" && db.exists(key(3))) return [BLOCKED];
  const windows = Array.from({ length: MAX_WINDOWS }, (_, slot) => ({
    slot,
    key: key(WINDOW_KEYS - 1 + slot),
    windowMs: Number(arg(WINDOW_ARGV - 1 + 2 * slot)),
    limit: Number(arg(WINDOW_ARGV + 2 * slot)),
  })).filter((w) => w.limit > 0);
  for (const w of windows) {
    if (Number(db.get(w.key) ?? "0") + 1 <= w.limit) continue;
    let ttl = db.pttl(w.key);
    if (ttl < 0) {
      db.pexpire(w.key, w.windowMs);
      ttl = w.windowMs;
    }
    return [WINDOW_LIMITED, w.slot, Math.max(ttl, 1)];
  }
  for (const w of windows) {
    db.incrby(w.key, 1);
    if (db.pttl(w.key) < 0) db.pexpire(w.key, w.windowMs);
  }
  if (arg(2) !== "") db.set(key(1), arg(2), { px: Number(arg(3)) });
  if (arg(4) !== "") db.set(key(2), arg(4), { px: Number(arg(5)) });
  if (arg(8) !== "1") return [ADMITTED, 0, 0, 0];
  const judgement: PumpJudgement = {
    windowMs: Number(arg(9)),
    minSends: Number(arg(10)),
    minConversionPermille: Number(arg(11)),
    blockMs: Number(arg(12)),
    shadow: arg(13) === "1",
  };
  return [ADMITTED, ...pumpRecordSendLocal(db, [key(4), key(5), key(3)], judgement)];
}

function badInput(field: string, rule: string): OtpError {
  return new OtpError("OTP_INTERNAL", `script ${NAME}: ${field} ${rule}`);
}

function positive(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw badInput(field, "must be a positive integer");
  return value;
}

/** The emission interval in whole microseconds, as rateLimit (store/scripts/rate-limit.ts) has it. */
function intervalUs(ratePerSec: number): number {
  if (!Number.isFinite(ratePerSec) || ratePerSec <= 0) throw badInput("ratePerSec", "must be positive");
  const us = Math.round(1_000_000 / ratePerSec);
  if (us < 1 || !Number.isSafeInteger(us)) throw badInput("ratePerSec", "is out of range");
  return us;
}

function encode(input: LimitsInput, key: (suffix: string) => string) {
  const { tenant } = input;
  if (tenant === "" || /[{}]/.test(tenant)) throw badInput("tenant", "must be non-empty and free of braces");
  if (input.windows.length > MAX_WINDOWS) throw badInput("windows", `must be at most ${MAX_WINDOWS}`);
  const rateKey = key(taggedKey("limit", tenant, "rate"));
  const pump = input.pump;
  const pumpPrefix = pump?.prefix ?? input.blockedPrefix;
  const keys = [
    rateKey,
    input.idempotency ? key(input.idempotency.key) : rateKey,
    input.active ? key(input.active.key) : rateKey,
    pumpPrefix === undefined ? rateKey : key(pumpBlockKey(tenant, pumpPrefix)),
    pump ? key(pumpWindowKey({ tenant, ...pump }, pump.windowIndex)) : rateKey,
    pump ? key(pumpWindowKey({ tenant, ...pump }, pump.windowIndex - 1)) : rateKey,
  ];
  const argv: (string | number)[] = [
    input.rate ? intervalUs(input.rate.ratePerSec) : 0,
    input.rate ? positive("burst", input.rate.burst) : 0,
    input.idempotency?.value ?? "",
    input.idempotency ? positive("idempotency.ttlMs", input.idempotency.ttlMs) : 0,
    input.active?.value ?? "",
    input.active ? positive("active.ttlMs", input.active.ttlMs) : 0,
    input.active?.replacing ?? "",
    input.blockedPrefix === undefined ? "0" : "1",
    pump ? "1" : "0",
    pump ? positive("pump.windowMs", pump.windowMs) : 0,
    pump?.minSends ?? 0,
    pump?.minConversionPermille ?? 0,
    pump ? positive("pump.blockMs", pump.blockMs) : 0,
    pump?.shadow ? "1" : "0",
  ];
  if (input.idempotency?.value === "" || input.active?.value === "")
    throw badInput("value", "must be non-empty");
  if (pump && input.blockedPrefix !== undefined && pump.prefix !== input.blockedPrefix) {
    throw badInput("blockedPrefix", "must be the pumped prefix");
  }
  for (let i = 0; i < MAX_WINDOWS; i++) {
    const w = input.windows[i];
    keys.push(w ? key(taggedKey("limit", tenant, w.name)) : rateKey);
    argv.push(w ? positive("windowMs", w.windowMs) : 0, w ? positive("limit", w.limit) : 0);
  }
  return { keys, argv };
}

function decode(reply: Parameters<Script<LimitsInput, LimitsResult>["decode"]>[0]): LimitsResult {
  const r = replyArray(NAME, reply, 1);
  const int = (i: number) => replyInteger(NAME, r[i]);
  switch (int(0)) {
    case ADMITTED:
      return { kind: "admitted", pump: { judgedLow: int(1) === 1, sends: int(2), verified: int(3) } };
    case RATE_LIMITED:
      return { kind: "rate-limited", retryAfterMs: int(1) };
    case IDEMPOTENT:
      return { kind: "idempotent", verificationId: replyString(NAME, r[1]) };
    case IDEMPOTENCY_MISMATCH:
      return { kind: "idempotency-mismatch", verificationId: replyString(NAME, r[1]) };
    case ACTIVE:
      return { kind: "active", verificationId: replyString(NAME, r[1]) };
    case BLOCKED:
      return { kind: "blocked" };
    case WINDOW_LIMITED:
      return { kind: "window-limited", window: int(1), retryAfterMs: int(2) };
    default:
      throw new OtpError("OTP_INTERNAL", `script ${NAME}: unexpected reply`);
  }
}

export const admitLimits: Script<LimitsInput, LimitsResult> = {
  name: NAME,
  numberOfKeys: WINDOW_KEYS - 1 + MAX_WINDOWS,
  lua: LUA,
  local,
  encode,
  decode,
};
