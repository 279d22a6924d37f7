/**
 * Redis Cluster slots. Both adapters refuse a script call whose keys span several slots, so a
 * missing `{hash tag}` shows up in the in-process mode and in single-node tests, not first in
 * production on a cluster (where Redis would answer CROSSSLOT).
 */
import calculateSlot from "cluster-key-slot";
import { OtpError } from "@domain/errors";

/** The cluster slot of a key: CRC16 of the key, or of its first non-empty `{tag}`. */
export function keySlot(key: string): number {
  return calculateSlot(key);
}

export function assertSameSlot(scriptName: string, keys: readonly string[]): void {
  const first = keys[0];
  if (first === undefined) return;
  const slot = keySlot(first);
  if (keys.some((key) => keySlot(key) !== slot)) {
    throw new OtpError(
      "OTP_INTERNAL",
      `script ${scriptName}: keys map to different cluster slots; give them one {hash tag}`,
    );
  }
}
