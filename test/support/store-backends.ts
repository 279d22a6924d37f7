/**
 * The Store backends store-backed ports are tested on: the in-process store and a real Redis
 * (REDIS_URL; `npm test` starts one). Each fixture has its own random key prefix and a second
 * store on the same backend, like another replica.
 */
import { randomBytes } from "node:crypto";
import { createLocalDb } from "@platform/store/local-db";
import { createMemoryStore } from "@platform/store/memory";
import type { Store } from "@platform/store/port";
import { createRedisStore } from "@platform/store/redis";

export interface StoreFixture {
  store: Store;
  /** Another store on the same data (another replica). */
  replica: Store;
  close(): Promise<void>;
}

export interface StoreBackend {
  name: string;
  open(): StoreFixture;
}

export function storeBackends(redisUrl: string | undefined): StoreBackend[] {
  const prefix = () => `otp-test:${randomBytes(4).toString("hex")}:`;
  const fixture = (store: Store, replica: Store, after: () => void = () => undefined): StoreFixture => ({
    store,
    replica,
    async close() {
      await store.clear();
      await Promise.all([store.close(), replica.close()]);
      after();
    },
  });
  return [
    {
      name: "in-process store",
      open() {
        const db = createLocalDb();
        const p = prefix();
        return fixture(createMemoryStore({ prefix: p, db }), createMemoryStore({ prefix: p, db }), () =>
          db.close(),
        );
      },
    },
    {
      name: "Redis store",
      open() {
        if (!redisUrl) throw new Error("REDIS_URL is not set: run through `npm test` or export it");
        const p = prefix();
        return fixture(
          createRedisStore({ url: redisUrl, prefix: p }),
          createRedisStore({ url: redisUrl, prefix: p }),
        );
      },
    },
  ];
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls an async condition; fails after `timeoutMs` naming `what`. */
export async function eventuallyAsync(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(20);
  }
}
