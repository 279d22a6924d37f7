/**
 * Decides, atomically across replicas, which receipt ends an attempt. Each part's final
 * receipt is recorded in a hash per attempt; the attempt ends
 * - DELIVERED when the last of its parts is delivered (every part reached the handset, so
 *   the code did, whichever part carries it), or
 * - at the first part that failed or expired (the message is incomplete on the handset).
 * Exactly one call gets "final"; repeated receipts of a part (an SMSC resending deliver_sm)
 * and receipts after the end get "duplicate"; delivered parts before the last get "pending".
 * Messages of one part do without it (receipt-reporter.ts).
 */
import type { Script } from "@platform/store/port";
import { replyString } from "@platform/store/reply";
import { taggedKey } from "@platform/store/port";

const NAME = "smsFinalReceipt";

export interface FinalReceiptInput {
  verificationId: string;
  attempt: number;
  partIndex: number;
  partCount: number;
  delivered: boolean;
  ttlMs: number;
}

export type FinalReceiptDecision = "final" | "pending" | "duplicate";

const LUA = `
local key = KEYS[1]
local part = 'p' .. ARGV[1]
if redis.call('HEXISTS', key, 'done') == 1 or redis.call('HEXISTS', key, part) == 1 then
  return 'duplicate'
end
redis.call('HSET', key, part, ARGV[3])
redis.call('PEXPIRE', key, ARGV[4])
if ARGV[3] == '0' or redis.call('HLEN', key) >= tonumber(ARGV[2]) then
  redis.call('HSET', key, 'done', ARGV[1])
  return 'final'
end
return 'pending'
`;

export const finalReceipt: Script<FinalReceiptInput, FinalReceiptDecision> = {
  name: NAME,
  numberOfKeys: 1,
  lua: LUA,
  local(db, keys, argv) {
    const [key = ""] = keys;
    const [partIndex = "", partCount = "1", delivered = "0", ttlMs = "1"] = argv;
    const part = `p${partIndex}`;
    if (db.hget(key, "done") !== null || db.hget(key, part) !== null) return "duplicate";
    db.hset(key, { [part]: delivered });
    db.pexpire(key, Number(ttlMs));
    if (delivered === "0" || Object.keys(db.hgetall(key)).length >= Number(partCount)) {
      db.hset(key, { done: partIndex });
      return "final";
    }
    return "pending";
  },
  encode: (input, key) => ({
    keys: [key(taggedKey("sms-parts", input.verificationId, String(input.attempt)))],
    argv: [
      input.partIndex,
      input.partCount,
      input.delivered ? "1" : "0",
      Math.max(1, Math.round(input.ttlMs)),
    ],
  }),
  decode(reply) {
    const decision = replyString(NAME, reply);
    if (decision === "final" || decision === "pending" || decision === "duplicate") return decision;
    throw new Error(`${NAME}: unexpected reply ${decision}`);
  },
};
