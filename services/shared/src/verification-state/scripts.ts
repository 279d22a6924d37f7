/**
 * The verification's hot projection is one hash, `vp:{<id>}`:
 *   tenant, status, exp (ms), checks, max, bind (binding digest), codes (JSON [{a,h,e}]), pfx
 *   (the destination prefix, for the pumping guard), len (digits of the codes; absent in a hash
 *   written before it was kept), doc (the evolved state, in state-codec.ts's form).
 * Two scripts write it:
 * - `projectVerification` merges what the event log says (issuance at start, the projector
 *   after): monotonic, so it can run in any order with checks: a final status is never undone,
 *   the check count only grows, codes only accumulate. Each write of the document counts a
 *   version; a writer that folded on a version it remembers asks for it, and gets a conflict
 *   (nothing written) when another writer came first.
 * - `checkCode` is the atomic check: the same decisions as `decideCheck` (its local body IS
 *   decideCheck), against the server clock; a success consumes the code.
 */
import { CheckOutcome } from "@proto/otp/events/v1/events";
import { decideCheck, VALID_CODES_KEPT, type CheckSubject } from "@domain/verification-decide";
import type { VerificationStatus } from "@domain/verification";
import { OtpError } from "@domain/errors";
import type { LocalDb, LocalReply, Script } from "@platform/store/port";
import { replyArray, replyInteger } from "@platform/store/reply";
import { LUA_SERVER_TIME_MS } from "@platform/store/scripts/common";
import { taggedKey } from "@platform/store/port";

export const projectionKey = (verificationId: string): string => taggedKey("vp", verificationId);

export interface StoredCode {
  a: number;
  h: string;
  e: number;
}

/** Status precedence for merging: a final status wins over a live one; the first final stays. */
const LIVE: Record<string, number> = { pending: 1, delivered: 2 };

export interface ProjectInput {
  verificationId: string;
  tenant: string;
  status: VerificationStatus;
  checksUsed: number;
  maxChecks: number;
  expiresAt: number;
  bindingDigest: string;
  codes: StoredCode[];
  doc: string;
  /** The hash lives until this time (ms since epoch). */
  retainUntil: number;
  /** The destination prefix ("+62812"), which a successful check answers with. */
  prefix: string;
  /** Digits of the codes (0: unknown). */
  codeLength: number;
  /** Write only over this version of the document (0: none written yet); any, when absent. */
  expectVersion?: number;
}

/** A write's outcome: the merged status and the document's new version, or another writer came first. */
export type ProjectResult = { status: VerificationStatus; version: number } | { conflict: true };

const PROJECT_LUA = `
local key = KEYS[1]
local cur = redis.call('HMGET', key, 'tenant', 'status', 'checks', 'codes', 'ver')
if cur[1] and cur[1] ~= ARGV[1] then return redis.error_reply('tenant mismatch') end
local ver = cur[5] or '0'
if ARGV[12] ~= '' and ver ~= ARGV[12] then return {'conflict', ver} end
local live = { pending = 1, delivered = 2 }
local status = ARGV[2]
if cur[2] then
  local old = cur[2]
  if not live[old] then status = old
  elseif live[status] and live[old] > live[status] then status = old end
end
local checks = tonumber(ARGV[3])
if cur[3] and tonumber(cur[3]) > checks then checks = tonumber(cur[3]) end
local codes = cjson.decode(ARGV[7])
if cur[4] then
  local seen = {}
  for _, c in ipairs(codes) do seen[c.a] = true end
  for _, c in ipairs(cjson.decode(cur[4])) do
    if not seen[c.a] then table.insert(codes, c) end
  end
end
table.sort(codes, function(x, y) return x.a < y.a end)
ver = tostring(tonumber(ver) + 1)
redis.call('HSET', key, 'tenant', ARGV[1], 'status', status, 'checks', checks, 'max', ARGV[4],
  'exp', ARGV[5], 'bind', ARGV[6], 'codes', cjson.encode(codes), 'doc', ARGV[8], 'pfx', ARGV[10],
  'len', ARGV[11], 'ver', ver)
redis.call('PEXPIREAT', key, ARGV[9])
return {status, ver}
`;

function projectLocal(db: LocalDb, keys: string[], argv: string[]): string[] {
  const [key = ""] = keys;
  const [
    tenant = "",
    statusIn = "",
    checksIn = "0",
    max = "0",
    exp = "0",
    bind = "",
    codesIn = "[]",
    doc = "",
    until = "0",
    pfx = "",
    len = "0",
    expect = "",
  ] = argv;
  const cur = db.hgetall(key);
  if (cur.tenant !== undefined && cur.tenant !== tenant) throw new Error("tenant mismatch");
  const ver = cur.ver ?? "0";
  if (expect !== "" && ver !== expect) return ["conflict", ver];
  let status = statusIn;
  if (cur.status !== undefined) {
    const old = cur.status;
    if (LIVE[old] === undefined) status = old;
    else if (LIVE[status] !== undefined && LIVE[old] > LIVE[status]!) status = old;
  }
  const checks = Math.max(Number(checksIn), Number(cur.checks ?? 0));
  const codes = JSON.parse(codesIn) as StoredCode[];
  if (cur.codes !== undefined) {
    const seen = new Set(codes.map((c) => c.a));
    for (const c of JSON.parse(cur.codes) as StoredCode[]) if (!seen.has(c.a)) codes.push(c);
  }
  codes.sort((x, y) => x.a - y.a);
  db.hset(key, {
    tenant,
    status,
    checks: String(checks),
    max,
    exp,
    bind,
    codes: JSON.stringify(codes),
    doc,
    pfx,
    len,
    ver: String(Number(ver) + 1),
  });
  db.pexpireat(key, Number(until));
  return [status, String(Number(ver) + 1)];
}

export const projectVerification: Script<ProjectInput, ProjectResult> = {
  name: "otpProjectVerification",
  numberOfKeys: 1,
  lua: PROJECT_LUA,
  local: projectLocal,
  encode(input, key) {
    return {
      keys: [key(projectionKey(input.verificationId))],
      argv: [
        input.tenant,
        input.status,
        input.checksUsed,
        input.maxChecks,
        input.expiresAt,
        input.bindingDigest,
        JSON.stringify(input.codes),
        input.doc,
        input.retainUntil,
        input.prefix,
        input.codeLength,
        input.expectVersion === undefined ? "" : input.expectVersion,
      ],
    };
  },
  decode(reply) {
    const [first, version] = replyArray("projectVerification", reply, 2);
    if (typeof first !== "string" || typeof version !== "string")
      throw new OtpError("OTP_INTERNAL", "projectVerification: unexpected reply");
    if (first === "conflict") return { conflict: true };
    return { status: first as VerificationStatus, version: Number(version) };
  },
};

export interface CheckCodeInput {
  verificationId: string;
  tenant: string;
  /** The candidate's hash under each configured code-hash key (base64url and key ids: no commas). */
  candidateHashes: string[];
  candidateBinding: string;
  /** Digits of the code sent: a length other than the verification's costs no attempt. */
  candidateLength: number;
}

export type CheckCodeResult =
  | { kind: "missing" }
  | { kind: "wrong-length"; expectedLength: number }
  | {
      kind: "decided";
      outcome: CheckOutcome;
      checksUsed: number;
      matchedAttempt: number;
      lockedNow: boolean;
      maxChecks: number;
      /** With a success: the destination prefix (absent on a hash written before it was kept). */
      prefix?: string;
    };

const O = CheckOutcome;
const CHECK_LUA = `
local h = redis.call('HMGET', KEYS[1], 'tenant', 'status', 'exp', 'checks', 'max', 'bind', 'codes', 'pfx', 'len')
if not h[1] or h[1] ~= ARGV[1] then return {0} end
local len = tonumber(h[9] or '0') or 0
if len > 0 and tonumber(ARGV[4]) ~= len then return {2, len} end
local now = ${LUA_SERVER_TIME_MS}
local status, exp, checks, max = h[2], tonumber(h[3]), tonumber(h[4]), tonumber(h[5])
if status == 'verified' then return {1, ${O.CHECK_OUTCOME_ALREADY_USED}, checks, 0, 0, max} end
if status == 'failed' then return {1, ${O.CHECK_OUTCOME_FAILED}, checks, 0, 0, max} end
if status == 'cancelled' then return {1, ${O.CHECK_OUTCOME_CANCELLED}, checks, 0, 0, max} end
if status == 'locked' or checks >= max then return {1, ${O.CHECK_OUTCOME_LOCKED}, checks, 0, 0, max} end
if status == 'expired' or now >= exp then return {1, ${O.CHECK_OUTCOME_EXPIRED}, checks, 0, 0, max} end
local used = checks + 1
local locked = 0
if used >= max then locked = 1 end
local matched = nil
local candidates = {}
for x in string.gmatch(ARGV[2], '[^,]+') do candidates[x] = true end
local codes = cjson.decode(h[7])
table.sort(codes, function(x, y) return x.a > y.a end)
for i, c in ipairs(codes) do
  if i <= ${VALID_CODES_KEPT} and matched == nil and c.e > now and candidates[c.h] then matched = c.a end
end
if matched ~= nil and ARGV[3] == h[6] then
  redis.call('HSET', KEYS[1], 'status', 'verified', 'checks', used)
  return {1, ${O.CHECK_OUTCOME_VERIFIED}, used, matched, 0, max, h[8]}
end
local outcome = ${O.CHECK_OUTCOME_WRONG_CODE}
if ARGV[3] ~= h[6] then outcome = ${O.CHECK_OUTCOME_BINDING_MISMATCH} end
if locked == 1 then
  redis.call('HSET', KEYS[1], 'status', 'locked', 'checks', used)
else
  redis.call('HSET', KEYS[1], 'checks', used)
end
return {1, outcome, used, 0, locked, max}
`;

function checkLocal(db: LocalDb, keys: string[], argv: string[]): LocalReply {
  const [key = ""] = keys;
  const [tenant = "", candidateHashes = "", candidateBinding = "", candidateLength = "0"] = argv;
  const h = db.hgetall(key);
  if (h.tenant === undefined || h.tenant !== tenant) return [0];
  const subject: CheckSubject = {
    status: h.status as VerificationStatus,
    expiresAt: Number(h.exp),
    checksUsed: Number(h.checks),
    maxChecks: Number(h.max),
    bindingDigest: h.bind ?? "",
    codeLength: Number(h.len ?? "0"),
    codes: (JSON.parse(h.codes ?? "[]") as StoredCode[]).map((c) => ({
      attempt: c.a,
      hash: c.h,
      expiresAt: c.e,
    })),
  };
  const d = decideCheck(subject, {
    now: db.timeMs(),
    candidateHashes: candidateHashes.split(",").filter(Boolean),
    candidateBinding,
    candidateLength: Number(candidateLength),
  });
  if (d.kind === "missing") return [0];
  if (d.kind === "wrong-length") return [2, d.expectedLength];
  if (d.outcome === CheckOutcome.CHECK_OUTCOME_VERIFIED) {
    db.hset(key, { status: "verified", checks: String(d.checksUsed) });
    return [1, d.outcome, d.checksUsed, d.matchedAttempt, 0, subject.maxChecks, h.pfx ?? false];
  }
  if (d.checksUsed !== subject.checksUsed) {
    db.hset(
      key,
      d.lockedNow ? { status: "locked", checks: String(d.checksUsed) } : { checks: String(d.checksUsed) },
    );
  }
  return [1, d.outcome, d.checksUsed, d.matchedAttempt, d.lockedNow ? 1 : 0, subject.maxChecks];
}

export const checkCode: Script<CheckCodeInput, CheckCodeResult> = {
  name: "otpCheckCode",
  numberOfKeys: 1,
  lua: CHECK_LUA,
  local: checkLocal,
  // A consumed code or a counted failure lost in a failover would make the code good again or
  // give its guesser more tries: answered only once a replica has it (ADR 0014).
  replicated: true,
  encode(input, key) {
    return {
      keys: [key(projectionKey(input.verificationId))],
      argv: [input.tenant, input.candidateHashes.join(","), input.candidateBinding, input.candidateLength],
    };
  },
  decode(reply) {
    const r = replyArray("checkCode", reply, 1);
    const kind = replyInteger("checkCode", r[0]);
    if (kind === 0) return { kind: "missing" };
    if (kind === 2) return { kind: "wrong-length", expectedLength: replyInteger("checkCode", r[1]) };
    return {
      kind: "decided",
      outcome: replyInteger("checkCode", r[1]) as CheckOutcome,
      checksUsed: replyInteger("checkCode", r[2]),
      matchedAttempt: replyInteger("checkCode", r[3]),
      lockedNow: replyInteger("checkCode", r[4]) === 1,
      maxChecks: replyInteger("checkCode", r[5]),
      ...(typeof r[6] === "string" ? { prefix: r[6] } : {}),
    };
  },
};
