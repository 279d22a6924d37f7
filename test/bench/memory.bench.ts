/**
 * Redis memory per pending verification: INFO used_memory and DBSIZE before and after N
 * verifications that were started, routed and sent (SMS delivered, receipt processed) but not
 * checked, divided by N. Everything a pending verification leaves in Redis counts: the
 * projection and its guards, lookup keys, limit counters, routing state and timers, the
 * gateway's attempt ledger and message ids.
 */
import type { Redis } from "ioredis";
import { createBenchUsers, emptyStages, type Started } from "./bench-users";
import { settle } from "./lifecycle.bench";
import { openLoop } from "./load";
import { redisInfo } from "./process-stats";
import type { SmsPlatform } from "./sms-platform";

export interface RedisMemoryResult {
  verifications: number;
  bytesPerVerification: number;
  keysPerVerification: number;
  usedMemoryBeforeMiB: number;
  usedMemoryAfterMiB: number;
  /** The keys the verifications added, by kind (`vp:{}`, `sms-msg:{}`, …), largest first. */
  byKind: KeyKindMemory[];
}

export interface KeyKindMemory {
  /** The key with its hash tag and numbers blanked: `vp:{}`, `sms-attempt:{}:#`. */
  kind: string;
  keysPerVerification: number;
  /** MEMORY USAGE … SAMPLES 0 (key, value and Redis's own overhead), averaged over a sample. */
  bytesPerKey: number;
  /** Redis's encoding of the kind's values (OBJECT ENCODING of the first sampled key). */
  encoding: string;
}

/** Keys of a kind measured one by one (MEMORY USAGE); the average holds for the rest. */
const SAMPLED_PER_KIND = 200;

export async function benchRedisMemory(
  h: SmsPlatform,
  redis: Redis,
  o: { verifications: number; ratePerSec: number },
): Promise<RedisMemoryResult> {
  const users = createBenchUsers(h);
  await settle(h);
  const keysBefore = new Set(await allKeys(redis));
  const before = await snapshot(redis);
  const started: Started[] = [];
  await openLoop(o.ratePerSec, o.verifications / o.ratePerSec, async () => {
    started.push(await users.start(emptyStages()));
  });
  const sent = await Promise.allSettled(started.map((s) => s.sms));
  await settle(h);
  const after = await snapshot(redis);
  users.close();
  const n = sent.filter((s) => s.status === "fulfilled").length;
  const added = (await allKeys(redis)).filter((k) => !keysBefore.has(k));
  return {
    verifications: n,
    bytesPerVerification: Math.round((after.usedMemory - before.usedMemory) / Math.max(1, n)),
    keysPerVerification: Math.round(((after.keys - before.keys) / Math.max(1, n)) * 10) / 10,
    usedMemoryBeforeMiB: before.usedMemory / 2 ** 20,
    usedMemoryAfterMiB: after.usedMemory / 2 ** 20,
    byKind: await memoryByKind(redis, added, Math.max(1, n)),
  };
}

/** A key's kind: its store prefix dropped (tagged keys), hash tag and numbers blanked. */
export function keyKind(key: string): string {
  const tagged = key.indexOf("{");
  const name = tagged === -1 ? key : key.slice(key.slice(0, tagged - 1).lastIndexOf(":") + 1);
  return name.replace(/\{[^}]*\}/g, "{}").replace(/[A-Za-z0-9_-]{16,}|[0-9a-f]{8,}|\d+/g, "#");
}

async function memoryByKind(redis: Redis, keys: string[], verifications: number): Promise<KeyKindMemory[]> {
  const kinds = new Map<string, string[]>();
  for (const key of keys) {
    const kind = keyKind(key);
    const list = kinds.get(kind) ?? [];
    list.push(key);
    kinds.set(kind, list);
  }
  const out: KeyKindMemory[] = [];
  for (const [kind, list] of kinds) {
    const sample = list.slice(0, SAMPLED_PER_KIND);
    const sizes = await Promise.all(sample.map((k) => redis.memory("USAGE", k, "SAMPLES", 0)));
    const measured = sizes.filter((b): b is number => typeof b === "number");
    const encoding: unknown = await redis.object("ENCODING", sample[0]!);
    out.push({
      kind,
      keysPerVerification: Math.round((list.length / verifications) * 100) / 100,
      bytesPerKey: Math.round(measured.reduce((a, b) => a + b, 0) / Math.max(1, measured.length)),
      encoding: typeof encoding === "string" ? encoding : "gone",
    });
  }
  return out.sort((a, b) => b.keysPerVerification * b.bytesPerKey - a.keysPerVerification * a.bytesPerKey);
}

async function allKeys(redis: Redis): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "COUNT", 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== "0");
  return keys;
}

async function snapshot(redis: Redis): Promise<{ usedMemory: number; keys: number }> {
  const memory = await redisInfo(redis, "memory");
  return { usedMemory: Number(memory.used_memory ?? 0), keys: await redis.dbsize() };
}
