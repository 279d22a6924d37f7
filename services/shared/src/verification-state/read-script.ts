/** Reads the hot projection: the merged guard fields and the evolved document. */
import type { VerificationStatus } from "@domain/verification";
import type { Script } from "@platform/store/port";
import { projectionKey } from "./scripts";

export interface ProjectionRow {
  tenant: string;
  status: VerificationStatus;
  checksUsed: number;
  doc: string;
  /** Writes of the document so far (0: none counted). */
  version: number;
}

export const readProjection: Script<{ verificationId: string }, ProjectionRow | undefined> = {
  name: "otpReadProjection",
  numberOfKeys: 1,
  lua: "return redis.call('HMGET', KEYS[1], 'tenant', 'status', 'checks', 'doc', 'ver')",
  local(db, keys) {
    const h = db.hgetall(keys[0] ?? "");
    return [h.tenant ?? null, h.status ?? null, h.checks ?? null, h.doc ?? null, h.ver ?? null];
  },
  encode: (input, key) => ({ keys: [key(projectionKey(input.verificationId))], argv: [] }),
  decode(reply) {
    // Lua turns a nil inside a table into the end of the array.
    if (!Array.isArray(reply) || reply.length < 4) return undefined;
    const [tenant, status, checks, doc, ver] = reply;
    if (typeof tenant !== "string" || typeof doc !== "string") return undefined;
    return {
      tenant,
      status: String(status) as VerificationStatus,
      checksUsed: Number(checks),
      doc,
      version: typeof ver === "string" ? Number(ver) : 0,
    };
  },
};
