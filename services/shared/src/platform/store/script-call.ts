/**
 * What both adapters do the same way around a script or command: prefix rules, encoding a
 * call and checking it, and turning failures into OtpErrors.
 */
import { OtpError, isOtpError } from "@domain/errors";
import type { Script } from "./port";
import { assertSameSlot } from "./slots";

export function checkPrefix(prefix: string): void {
  // A brace in the prefix would become the hash tag of every key and defeat `taggedKey`.
  if (prefix.includes("{") || prefix.includes("}")) {
    throw new OtpError("CONFIG_INVALID", "store prefix must not contain braces");
  }
}

export function checkTtl(ttlMs: number | undefined): void {
  if (ttlMs !== undefined && (!Number.isSafeInteger(ttlMs) || ttlMs <= 0)) {
    throw new OtpError("OTP_INTERNAL", "ttlMs must be a positive integer");
  }
}

export interface PreparedCall {
  keys: string[];
  argv: string[];
}

/** Encodes a script input and checks the call before it reaches either adapter. */
export function prepareCall<I, O>(
  script: Script<I, O>,
  input: I,
  key: (suffix: string) => string,
): PreparedCall {
  const call = script.encode(input, key);
  if (call.keys.length !== script.numberOfKeys) {
    throw new OtpError(
      "OTP_INTERNAL",
      `script ${script.name}: ${call.keys.length} keys given, ${script.numberOfKeys} declared`,
    );
  }
  assertSameSlot(script.name, call.keys);
  // Redis receives every argument as a string; String() is also how ioredis converts numbers.
  return { keys: call.keys, argv: call.argv.map(String) };
}

/**
 * A command or script that failed while running (a Lua error, WRONGTYPE, a local throw, a
 * reply `decode` did not expect) is a bug, not an outage.
 */
export function operationFailed(operation: string, cause: unknown): OtpError {
  if (isOtpError(cause)) return cause;
  return new OtpError("OTP_INTERNAL", `${operation} failed`, { cause });
}
