/** What the scripts share: Lua fragments for server time, input checks, key naming. */
import { OtpError } from "@domain/errors";
import { taggedKey } from "../port";

// Redis replicates scripts by their effects (Redis >= 5), so reading TIME before writing is
// allowed.

/** A Lua expression: the server time in whole milliseconds. */
export const LUA_SERVER_TIME_MS =
  "(function() local t = redis.call('TIME') return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end)()";

/** Declares `now_us`, the server time in microseconds (exact in a double until year 2255). */
export const LUA_NOW_US = `
local time = redis.call('TIME')
local now_us = tonumber(time[1]) * 1000000 + tonumber(time[2])
`;

/**
 * Script inputs come from our code and configuration, not from clients, so a bad one is an
 * internal error (a client must not be told its request was invalid).
 */
function badInput(script: string, field: string, rule: string): OtpError {
  return new OtpError("OTP_INTERNAL", `script ${script}: ${field} ${rule}`);
}

export function positiveInteger(script: string, field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw badInput(script, field, "must be a positive integer");
  return value;
}

export function integer(script: string, field: string, value: number): number {
  if (!Number.isSafeInteger(value)) throw badInput(script, field, "must be an integer");
  return value;
}

export function nonNegativeInteger(script: string, field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw badInput(script, field, "must be a non-negative integer");
  return value;
}

export function positiveNumber(script: string, field: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw badInput(script, field, "must be a positive number");
  return value;
}

export function requireThat(script: string, condition: boolean, field: string, rule: string): void {
  if (!condition) throw badInput(script, field, rule);
}

/**
 * The full key of a script's state: `<prefix><kind>:{<name>}`. The name is the hash tag, so
 * further keys about the same name can join a multi-key script later. Names must not contain
 * braces, which would move the tag.
 */
export function tagged(script: string, kind: string, name: string, key: (suffix: string) => string): string {
  if (name.length === 0 || name.includes("{") || name.includes("}")) {
    throw badInput(script, "key", "must be non-empty and free of braces");
  }
  return key(taggedKey(kind, name));
}
