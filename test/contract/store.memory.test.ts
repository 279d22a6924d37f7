import { randomBytes } from "node:crypto";
import { createLocalDb } from "@platform/store/local-db";
import { createMemoryStore } from "@platform/store/memory";
import type { Store } from "@platform/store/port";
import { storeContract } from "./store.contract";

const filePrefix = `otp-test:${randomBytes(4).toString("hex")}:`;
let fixtures = 0;

storeContract("in-memory", async () => {
  const prefix = `${filePrefix}${fixtures++}:`;
  // One database for every store of the fixture, like several prefixes on one Redis.
  const db = createLocalDb();
  const opened: Store[] = [];
  const open = (storePrefix: string) => {
    const store = createMemoryStore({ prefix: storePrefix, db });
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
      db.close();
    },
  };
});
