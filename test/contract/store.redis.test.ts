import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { isOtpError } from "@domain/errors";
import type { Store } from "@platform/store/port";
import { createRedisStore } from "@platform/store/redis";
import { rateLimit } from "@platform/store/scripts";
import { keySlot } from "@platform/store/slots";
import { freePort, startRedis } from "../harness/redis";
import { rawBulk, startRedisCluster, type RedisCluster } from "../harness/redis-cluster";
import { storeContract, type StoreFactory } from "./store.contract";

const redisUrl = process.env.REDIS_URL;
if (!redisUrl) {
  throw new Error("REDIS_URL is not set: run through `npm test` (which starts redis-server) or export it");
}

const filePrefix = `otp-test:${randomBytes(4).toString("hex")}:`;
let fixtures = 0;

function redisFixtures(url: () => string): StoreFactory {
  return async () => {
    const prefix = `${filePrefix}${fixtures++}:`;
    const opened: Store[] = [];
    const open = (storePrefix: string) => {
      const store = createRedisStore({ url: url(), prefix: storePrefix });
      opened.push(store);
      return store;
    };
    return {
      store: open(prefix),
      prefix,
      open,
      cleanup: async () => {
        for (const store of opened) {
          await store.clear();
          await store.close();
        }
      },
    };
  };
}

storeContract(
  "Redis",
  redisFixtures(() => redisUrl),
);

describe("Redis Cluster", () => {
  let cluster: RedisCluster | undefined;
  before(async () => {
    cluster = await startRedisCluster(3);
  });
  after(async () => {
    await cluster?.stop();
  });

  storeContract(
    "Redis Cluster (3 masters)",
    redisFixtures(() => cluster?.url ?? assert.fail("cluster not started")),
  );

  it("one seed node with `cluster: true` reaches keys in every node's slots", async () => {
    const seed = cluster?.nodes[0]?.url ?? assert.fail("cluster not started");
    const store = createRedisStore({ url: seed, prefix: `${filePrefix}seed:`, cluster: true });
    try {
      const keys = Array.from({ length: 30 }, (_, i) => store.key(`k${i}`));
      for (const k of keys) assert.equal(await store.set(k, k), true);
      for (const k of keys) assert.equal(await store.get(k), k);
      for (let i = 0; i < 10; i++) {
        assert.equal((await store.run(rateLimit, { key: `r${i}`, ratePerSec: 1, burst: 1 })).allowed, true);
      }
      assert.equal(await store.del(...keys), keys.length);
    } finally {
      await store.clear();
      await store.close();
    }
  });

  it(
    "a command answered by its timeout is never sent afterwards, when its connection gets ready",
    { timeout: 30_000 },
    async () => {
      const running = cluster ?? assert.fail("cluster not started");
      const store = createRedisStore({
        url: running.url,
        prefix: `${filePrefix}late:`,
        commandTimeoutMs: 1_000,
        connectionName: "late-commands-test",
      });
      await store.set(store.key("warm"), "v");
      // A master the client has no connection to yet, and a key it serves.
      const masters = (await running.shards()).map((shard) => shard.master);
      const clients = await Promise.all(masters.map((port) => rawBulk(port, "CLIENT LIST")));
      const stalled = running.node(
        masters.find((_, m) => !clients[m]?.includes("name=late-commands-test")) ??
          assert.fail("connected to every master already"),
      );
      let n = 0;
      while ((await running.masterOf(keySlot(store.key(`late${n}`)))) !== stalled.port) n++;
      const late = store.key(`late${n}`);
      const pid = stalled.pid ?? assert.fail("the master runs");
      process.kill(pid, "SIGSTOP");
      try {
        // Its new connection waits for the stalled master's handshake; the SET waits in its queue.
        await assert.rejects(store.set(late, "written after its caller gave up"), isStateUnavailable);
        // The master answers the connection's ready check (sent when the handshake timed out),
        // and the connection flushes its queue.
        await sleep(500);
      } finally {
        process.kill(pid, "SIGCONT");
      }
      try {
        await eventuallyOk(() => store.get(late));
        assert.equal(await store.get(late), null, "the SET answered as failed was sent later");
      } finally {
        await store.clear();
        await store.close();
      }
    },
  );

  // Last in this suite: it takes two masters down and back (empty, their slots kept).
  it(
    "a store whose first connection fails the cluster's ready check serves its calls once the cluster is whole",
    { timeout: 60_000 },
    async () => {
      const running = cluster ?? assert.fail("cluster not started");
      const [survivor, ...down] = (await running.shards()).map((shard) => running.node(shard.master));
      await Promise.all(down.map((node) => node.kill()));
      const store = createRedisStore({ url: running.url, prefix: `${filePrefix}first:` });
      try {
        // The survivor cannot reach a majority of masters: every ready check fails (a dead master
        // or cluster_state:fail), and the client keeps reconnecting.
        await eventuallyOk(async () => {
          assert.match(await rawBulk(survivor!.port, "CLUSTER INFO"), /cluster_state:fail/);
        });
        const first = await answeredWithin(store.get(store.key("k")), 10_000);
        assert.equal(first, "failed", "the first call fails (it must not wait for good)");

        await Promise.all(down.map((node) => node.restart()));
        await running.waitHealthy();
        await eventuallyOk(async () => {
          assert.equal(await answeredWithin(store.set(store.key("k"), "v"), 2_000), "answered");
        }, 30_000);
        assert.equal(await store.get(store.key("k")), "v");
      } finally {
        await Promise.all(down.filter((node) => !node.isRunning()).map((node) => node.restart()));
        await store.clear().catch(() => undefined);
        await store.close();
      }
    },
  );
});

const isStateUnavailable = (err: unknown) => {
  assert.ok(isOtpError(err), `expected OtpError, got ${String(err)}`);
  assert.equal(err.code, "OTP_STATE_UNAVAILABLE");
  assert.equal(err.retryable, true);
  return true;
};

// A hang would last forever (or one command timeout per call); failing fast means at once.
// The bound is generous on purpose: it only separates "fails" from "waits".
const FAIL_FAST_BOUND_MS = 2_000;

describe("Redis store when Redis is down", () => {
  it(
    "fails fast with OTP_STATE_UNAVAILABLE when Redis dies, recovers after restart",
    { timeout: 60_000 },
    async () => {
      const redis = await startRedis();
      const store = createRedisStore({ url: redis.url, prefix: `${filePrefix}down:` });
      const k = store.key("k");
      try {
        assert.equal(await store.set(k, "v"), true);
        assert.equal((await store.run(rateLimit, { key: "r", ratePerSec: 1, burst: 5 })).allowed, true);
        await redis.kill();
        const started = Date.now();
        await assert.rejects(store.get(k), isStateUnavailable);
        await assert.rejects(store.run(rateLimit, { key: "r", ratePerSec: 1, burst: 5 }), isStateUnavailable);
        await assert.rejects(store.now(), isStateUnavailable);
        await assert.rejects(store.clear(), isStateUnavailable);
        const elapsed = Date.now() - started;
        assert.ok(elapsed < FAIL_FAST_BOUND_MS, `took ${elapsed} ms`);

        await redis.restart();
        await eventuallyOk(() => store.set(k, "again"));
        assert.equal(await store.get(k), "again");
        // The restarted server lost its scripts: the script runs again (EVALSHA falls back to EVAL).
        assert.equal((await store.run(rateLimit, { key: "r", ratePerSec: 1, burst: 5 })).allowed, true);
      } finally {
        await store.close();
        await redis.stop();
      }
    },
  );

  it("a store whose Redis never started fails fast", async () => {
    const store = createRedisStore({
      url: `redis://127.0.0.1:${await freePort()}`,
      prefix: `${filePrefix}none:`,
    });
    try {
      const started = Date.now();
      await assert.rejects(store.get(store.key("k")), isStateUnavailable);
      await assert.rejects(store.run(rateLimit, { key: "r", ratePerSec: 1, burst: 1 }), isStateUnavailable);
      const elapsed = Date.now() - started;
      assert.ok(elapsed < FAIL_FAST_BOUND_MS, `took ${elapsed} ms`);
    } finally {
      await store.close();
    }
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How a call ended within `ms`: answered, failed, or still waiting. */
async function answeredWithin(
  call: Promise<unknown>,
  ms: number,
): Promise<"answered" | "failed" | "waiting"> {
  let timer: NodeJS.Timeout | undefined;
  const waiting = new Promise<"waiting">((resolve) => {
    timer = setTimeout(() => resolve("waiting"), ms);
  });
  const ended = call.then(
    () => "answered" as const,
    () => "failed" as const,
  );
  try {
    return await Promise.race([ended, waiting]);
  } finally {
    clearTimeout(timer);
  }
}

async function eventuallyOk(attempt: () => Promise<unknown>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await attempt();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
