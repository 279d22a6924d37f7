/**
 * The in-process store (all-in-one mode and unit tests): the same Store contract as Redis,
 * with scripts' local bodies running synchronously against LocalDb, hence atomically.
 */
import type { Script, SetOptions, Store } from "./port";
import { createLocalDb, type InMemoryDb } from "./local-db";
import { luaToReply } from "./reply";
import { checkPrefix, checkTtl, operationFailed, prepareCall } from "./script-call";

export interface MemoryStoreOptions {
  prefix: string;
  /** Milliseconds since the epoch; what `now()` and scripts see as server time. */
  clock?: () => number;
  /**
   * A database shared with other stores (like several prefixes on one Redis). Without it the
   * store makes its own and closes it on close().
   */
  db?: InMemoryDb;
}

/** Runs a synchronous operation, turning a throw into the OtpError Redis would give. */
async function command<T>(operation: string, run: () => T): Promise<T> {
  try {
    return run();
  } catch (err) {
    throw operationFailed(operation, err);
  }
}

export function createMemoryStore(options: MemoryStoreOptions): Store {
  const { prefix } = options;
  checkPrefix(prefix);
  const ownsDb = options.db === undefined;
  const db: InMemoryDb = options.db ?? createLocalDb(options.clock ? { clock: options.clock } : {});
  const key = (suffix: string) => `${prefix}${suffix}`;

  async function run<I, O>(script: Script<I, O>, input: I): Promise<O> {
    const call = prepareCall(script, input, key);
    return command(`script ${script.name}`, () =>
      script.decode(luaToReply(script.local(db, call.keys, call.argv))),
    );
  }

  async function set(fullKey: string, value: string, setOptions: SetOptions = {}): Promise<boolean> {
    checkTtl(setOptions.ttlMs);
    const px = setOptions.ttlMs === undefined ? {} : { px: setOptions.ttlMs };
    return command("SET", () => db.set(fullKey, value, { ...px, nx: setOptions.onlyIfAbsent ?? false }));
  }

  return {
    key,
    run,
    get: (fullKey) => command("GET", () => db.get(fullKey)),
    set,
    del: (...keys) => command("DEL", () => db.del(...keys)),
    pttl: (fullKey) => command("PTTL", () => db.pttl(fullKey)),
    clear: () => command("clear", () => void db.del(...db.keysWithPrefix(prefix))),
    now: async () => db.timeMs(),
    close: async () => {
      if (ownsDb) db.close();
    },
  };
}
