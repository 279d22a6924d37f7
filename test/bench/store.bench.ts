/**
 * The Redis store on its own: one small script (counterWindow) called back to back by 1 and by
 * 64 callers through the store adapter the services use. Shows the price of one round trip
 * (calls/s at 1 caller) and of one command under concurrency (CPU µs per call at 64), with far
 * less noise than the end-to-end runs: the figure to watch when changing the store adapter.
 */
import { randomUUID } from "node:crypto";
import { createRedisStore } from "@platform/store/redis";
import { counterWindow } from "@platform/store/scripts";

export interface StoreBenchRow {
  callers: number;
  calls: number;
  callsPerSecond: number;
  /** CPU of this process per call (user + system), µs. */
  cpuMicros: number;
  systemMicros: number;
}

export async function benchStore(redisUrl: string, calls: number): Promise<StoreBenchRow[]> {
  const store = createRedisStore({ url: redisUrl, prefix: `bench-store-${randomUUID().slice(0, 8)}:` });
  const run = async (callers: number, n: number): Promise<StoreBenchRow> => {
    let next = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (next < n) {
          const i = next++;
          await store.run(counterWindow, { key: `k${i % 512}`, windowMs: 60_000, limit: 1e9 });
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return {
      callers,
      calls: n,
      callsPerSecond: n / seconds,
      cpuMicros: (cpu.user + cpu.system) / n,
      systemMicros: cpu.system / n,
    };
  };
  try {
    await run(16, 2_000); // connection, script cache, JIT
    return [await run(1, Math.round(calls / 4)), await run(64, calls)];
  } finally {
    await store.clear();
    await store.close();
  }
}
