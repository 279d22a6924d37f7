/**
 * The second agent's approval of a support override takes the pending request in one script:
 * the request is read, the approver compared with the requesting agent and the request deleted
 * together, so two approvals racing each other cannot both see it (each would publish an
 * override) and the requesting agent cannot use it up by approving it himself.
 */
import { OtpError } from "@domain/errors";
import { tagged } from "@platform/store/scripts/common";
import type { Script } from "@platform/store/port";
import { replyArray, replyInteger, replyString } from "@platform/store/reply";

const NAME = "otpClaimOverride";

export interface PendingOverride {
  verificationId: string;
  agent: string;
  reason: string;
}

export interface ClaimOverrideInput {
  overrideId: string;
  approver: string;
}

export type ClaimOverrideResult =
  { kind: "claimed"; pending: PendingOverride } | { kind: "missing" } | { kind: "same-agent" };

/** Where a pending request lives (the key the request wrote with setIfAbsentGet). */
export const overrideRequestName = (overrideId: string): string => `override|${overrideId}`;

const LUA = `
local raw = redis.call('GET', KEYS[1])
if not raw then return {0} end
local pending = cjson.decode(raw)
if pending.agent == ARGV[1] then return {2} end
redis.call('DEL', KEYS[1])
return {1, raw}
`;

function parsePending(raw: string): PendingOverride {
  const value = JSON.parse(raw) as Partial<PendingOverride>;
  if (
    typeof value.verificationId !== "string" ||
    typeof value.agent !== "string" ||
    typeof value.reason !== "string"
  )
    throw new OtpError("OTP_INTERNAL", "override request: malformed record");
  return { verificationId: value.verificationId, agent: value.agent, reason: value.reason };
}

export const claimOverride: Script<ClaimOverrideInput, ClaimOverrideResult> = {
  name: NAME,
  numberOfKeys: 1,
  lua: LUA,
  // An approval lost in a failover would leave the request approvable a second time.
  replicated: true,
  local(db, keys, argv) {
    const [key = ""] = keys;
    const [approver = ""] = argv;
    const raw = db.get(key);
    if (raw === null) return [0];
    if (parsePending(raw).agent === approver) return [2];
    db.del(key);
    return [1, raw];
  },
  encode: (input, key) => ({
    keys: [tagged(NAME, "once", overrideRequestName(input.overrideId), key)],
    argv: [input.approver],
  }),
  decode(reply) {
    const r = replyArray(NAME, reply, 1);
    const kind = replyInteger(NAME, r[0]);
    if (kind === 0) return { kind: "missing" };
    if (kind === 2) return { kind: "same-agent" };
    return { kind: "claimed", pending: parsePending(replyString(NAME, r[1])) };
  },
};
