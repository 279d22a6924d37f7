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
}

export async function benchRedisMemory(
  h: SmsPlatform,
  redis: Redis,
  o: { verifications: number; ratePerSec: number },
): Promise<RedisMemoryResult> {
  const users = createBenchUsers(h);
  await settle(h);
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
  return {
    verifications: n,
    bytesPerVerification: Math.round((after.usedMemory - before.usedMemory) / Math.max(1, n)),
    keysPerVerification: Math.round(((after.keys - before.keys) / Math.max(1, n)) * 10) / 10,
    usedMemoryBeforeMiB: before.usedMemory / 2 ** 20,
    usedMemoryAfterMiB: after.usedMemory / 2 ** 20,
  };
}

async function snapshot(redis: Redis): Promise<{ usedMemory: number; keys: number }> {
  const memory = await redisInfo(redis, "memory");
  return { usedMemory: Number(memory.used_memory ?? 0), keys: await redis.dbsize() };
}
