/**
 * The keys that authenticate events on the bus (ADR 0010), from configuration, rotated the way
 * the sealing keys are (keys.ts):
 *   OTP_EVENT_KEYS         "<producer>:<key id>:<32 bytes base64 or hex>,…": every key this
 *                          process signs with or checks: its own, and those of the producers
 *                          whose events it reads
 *   OTP_EVENT_ACTIVE_KEYS  "<producer>:<key id>,…": the key new events of a producer are signed
 *                          with (default: that producer's first listed)
 * Rotation: add the new key to every reader, then list it first (or make it active) where its
 * producer runs; drop the old one once no retained event needs it.
 *
 * On the in-process bus every producer and reader is this one process: keys are generated for
 * it (nothing outlives the process). On Kafka, missing keys refuse the start.
 */
import { createSecretKey, type KeyObject, randomBytes } from "node:crypto";
import { OtpError } from "@domain/errors";
import { type EventRole, isProducer, type Producer, PRODUCERS } from "@domain/events/ownership";

export interface EventKeyRing {
  /** Per producer, its keys by id. */
  keys: ReadonlyMap<Producer, ReadonlyMap<string, KeyObject>>;
  /** Per producer this process holds, the id of the key new events are signed with. */
  active: ReadonlyMap<Producer, string>;
  /** True when the keys were generated for this process only. */
  ephemeral: boolean;
}

export interface EventKeyEnv {
  OTP_EVENT_KEYS?: string;
  OTP_EVENT_ACTIVE_KEYS?: string;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const FORMAT = "<producer>:<key id>:<32 bytes base64 or hex>";

function decodeKey(raw: string): Buffer | undefined {
  const buf = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, "hex") : Buffer.from(raw, "base64");
  return buf.length === 32 ? buf : undefined;
}

/** Reads the key ring a process with `role` needs; throws CONFIG_INVALID listing every problem. */
export function eventKeysFromEnv(
  env: EventKeyEnv,
  role: EventRole,
  options: { allowEphemeral: boolean },
): EventKeyRing {
  if (!env.OTP_EVENT_KEYS) {
    if (options.allowEphemeral) return generatedEventKeys();
    throw configInvalid([
      `OTP_EVENT_KEYS is required on Kafka: ${FORMAT},… with a key of ${[...role.signs].join(", ")} ` +
        `(signs) and of ${[...role.reads].join(", ")} (reads)`,
    ]);
  }
  const problems: string[] = [];
  const raw = new Map<Producer, Map<string, Buffer>>();
  const seenSecrets = new Map<string, Producer>();
  for (const entry of env.OTP_EVENT_KEYS.split(",")
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [producer = "", id = "", secret = ""] = entry.split(":", 3);
    const key = decodeKey(secret);
    if (!isProducer(producer)) {
      problems.push(`OTP_EVENT_KEYS: "${producer}" is not a producer (${PRODUCERS.join(", ")})`);
      continue;
    }
    if (!KEY_ID.test(id) || !key) {
      problems.push(`OTP_EVENT_KEYS: entry "${producer}:${id}:<secret>" must be ${FORMAT}`);
      continue;
    }
    const own = raw.get(producer) ?? new Map<string, Buffer>();
    raw.set(producer, own);
    if (own.has(id)) problems.push(`OTP_EVENT_KEYS: ${producer}:${id} is listed twice`);
    // One secret under two producers would let either pass for the other.
    const sharer = seenSecrets.get(key.toString("hex"));
    if (sharer !== undefined && sharer !== producer) {
      problems.push(`OTP_EVENT_KEYS: ${producer}:${id} has the same secret as a key of ${sharer}`);
    }
    seenSecrets.set(key.toString("hex"), producer);
    own.set(id, key);
  }
  const active = new Map<Producer, string>();
  for (const [producer, own] of raw) active.set(producer, [...own.keys()][0]!);
  for (const entry of (env.OTP_EVENT_ACTIVE_KEYS ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [producer = "", id = ""] = entry.split(":", 2);
    if (!isProducer(producer) || !raw.get(producer)?.has(id)) {
      problems.push(`OTP_EVENT_ACTIVE_KEYS: ${producer}:${id} is not in OTP_EVENT_KEYS`);
    } else active.set(producer, id);
  }
  for (const producer of role.signs) {
    if (!raw.has(producer))
      problems.push(`OTP_EVENT_KEYS has no key of ${producer}, which this process signs its events as`);
  }
  for (const producer of role.reads) {
    if (!raw.has(producer) && !role.signs.includes(producer))
      problems.push(`OTP_EVENT_KEYS has no key of ${producer}, whose events this process reads`);
  }
  if (problems.length > 0) throw configInvalid(problems);
  return {
    keys: new Map(
      [...raw].map(([producer, own]) => [
        producer,
        new Map([...own].map(([id, key]) => [id, createSecretKey(key)])),
      ]),
    ),
    active,
    ephemeral: false,
  };
}

/** A key for every producer, for one process on the in-process bus. */
function generatedEventKeys(): EventKeyRing {
  return {
    keys: new Map(PRODUCERS.map((p) => [p, new Map([["ephemeral", createSecretKey(randomBytes(32))]])])),
    active: new Map(PRODUCERS.map((p) => [p, "ephemeral"])),
    ephemeral: true,
  };
}

function configInvalid(problems: string[]): OtpError {
  return new OtpError("CONFIG_INVALID", `invalid configuration:\n  - ${problems.join("\n  - ")}`);
}

/**
 * OTP_EVENT_KEYS with a fresh key for every producer: for runs whose data is thrown away
 * (scenarios, tests) and as a starting point for an operator's own.
 */
export function freshEventKeysVariable(): string {
  return PRODUCERS.map((p) => `${p}:k1:${randomBytes(32).toString("base64")}`).join(",");
}
