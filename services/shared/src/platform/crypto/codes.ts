/**
 * One-time codes from the operating system's CSPRNG (NIST SP 800-63B 5.1.3.2: at least 20 bits;
 * 6 digits give 19.9, so the default policy uses 6 and never fewer than 4 for low-risk use).
 * randomInt draws without modulo bias.
 */
import { randomInt } from "node:crypto";

const MIN_CODE_LENGTH = 4;
const MAX_CODE_LENGTH = 10;

export function randomCode(length: number): string {
  if (!Number.isInteger(length) || length < MIN_CODE_LENGTH || length > MAX_CODE_LENGTH) {
    throw new RangeError(`code length must be ${MIN_CODE_LENGTH}..${MAX_CODE_LENGTH}`);
  }
  let code = "";
  for (let i = 0; i < length; i++) code += String(randomInt(0, 10));
  return code;
}
