/**
 * Reply conversion shared by both store adapters, so a script's `decode` sees the same value
 * whichever adapter ran it.
 */
import { OtpError } from "@domain/errors";
import type { LocalReply, Reply } from "./port";

/**
 * Converts what a local body returned the way Redis converts a Lua script's return value
 * to RESP2: numbers are truncated toward zero, true is 1, false and nil are nil, and an array
 * ends at its first nil (Lua's `rawgeti` loop), while `false` inside one is a nil element.
 */
export function luaToReply(value: LocalReply): Reply {
  if (value === null || value === undefined || value === false) return null;
  if (value === true) return 1;
  if (typeof value === "number") {
    // C's (long long) cast of a non-finite double is undefined; refuse rather than guess.
    if (!Number.isFinite(value)) throw new Error("script returned a non-finite number");
    return Math.trunc(value) + 0; // + 0 turns -0 into 0
  }
  if (typeof value === "string") return value;
  const items: Reply[] = [];
  for (const item of value) {
    if (item === null || item === undefined) break;
    items.push(luaToReply(item));
  }
  return items;
}

/** Checks and narrows what ioredis returned for a script (RESP2 with string replies). */
export function redisValueToReply(value: unknown): Reply {
  if (value === null || typeof value === "number" || typeof value === "string") return value;
  if (Buffer.isBuffer(value)) return value.toString("utf8");
  if (Array.isArray(value)) return value.map(redisValueToReply);
  // ioredis puts an error reply nested in an array in place as an Error object.
  if (value instanceof Error) throw value;
  throw new Error(`unexpected reply type ${typeof value}`);
}

function badReply(script: string, what: string): OtpError {
  return new OtpError("OTP_INTERNAL", `script ${script}: unexpected reply (${what})`);
}

/** Reply shape checks for `decode` functions: a wrong shape is a bug, not bad input. */
export function replyArray(script: string, reply: Reply, minLength = 0): Reply[] {
  if (!Array.isArray(reply) || reply.length < minLength) throw badReply(script, "array expected");
  return reply;
}

export function replyInteger(script: string, reply: Reply | undefined): number {
  if (typeof reply !== "number" || !Number.isInteger(reply)) throw badReply(script, "integer expected");
  return reply;
}

export function replyString(script: string, reply: Reply | undefined): string {
  if (typeof reply !== "string") throw badReply(script, "string expected");
  return reply;
}
