/**
 * The conversion tally on the in-process store: verified codes added up per prefix and window,
 * written as one count each, and kept for the next write when the store refuses one.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { silentLogger } from "@platform/log";
import { createMemoryStore } from "@platform/store/memory";
import type { Store } from "@platform/store/port";
import { recordPumpVerified } from "@verification-state/pumping-script";
import { createConversionTally } from "./conversion-tally";

const HOUR = 3_600_000;

/** The verified count of a prefix's window (adding nothing reads it). */
const verified = (store: Store, prefix: string, windowIndex = 7): Promise<number> =>
  store.run(recordPumpVerified, { tenant: "bank-a", prefix, windowIndex, windowMs: HOUR, count: 0 });

describe("conversion tally", () => {
  it("writes a second's verified codes as one count per prefix and window", async () => {
    const store = createMemoryStore({ prefix: "t:" });
    let scripts = 0;
    const counting: Store = { ...store, run: (script, input) => (scripts++, store.run(script, input)) };
    const tally = createConversionTally(counting, silentLogger());
    for (let i = 0; i < 5; i++) tally.add("bank-a", "+62812", 7, HOUR);
    tally.add("bank-a", "+62813", 7, HOUR);
    assert.equal(await verified(store, "+62812"), 0, "nothing written before the flush");
    await tally.flush();
    assert.equal(scripts, 2, "one write per prefix and window, not per code");
    assert.equal(await verified(store, "+62812"), 5);
    assert.equal(await verified(store, "+62813"), 1);
    await tally.flush();
    assert.equal(await verified(store, "+62812"), 5, "a flush with nothing new writes nothing");
  });

  it("keeps a count the store refused and writes it with the next", async () => {
    const store = createMemoryStore({ prefix: "t:" });
    let refuse = true;
    const flaky: Store = {
      ...store,
      run: (script, input) => (refuse ? Promise.reject(new Error("store away")) : store.run(script, input)),
    };
    const tally = createConversionTally(flaky, silentLogger());
    tally.add("bank-a", "+62812", 7, HOUR);
    tally.add("bank-a", "+62812", 7, HOUR);
    await tally.flush();
    refuse = false;
    tally.add("bank-a", "+62812", 7, HOUR);
    await tally.stop();
    assert.equal(await verified(store, "+62812"), 3);
  });
});
