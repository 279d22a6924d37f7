import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { watchHandsets } from "./surge-users";

type Listener = (sms: { phone: string; text: string }, at: number) => void;

/** A handset feed the test drives by hand. */
function fakeFeed(): {
  receive: (phone: string, text: string, at: number) => void;
  feed: (l: Listener) => () => void;
} {
  const listeners = new Set<Listener>();
  return {
    receive: (phone, text, at) => {
      for (const listener of listeners) listener({ phone, text }, at);
    },
    feed: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

describe("surge bench handsets", () => {
  it("give a user the SMS that reached the handset before the StartVerification answer", async () => {
    const { receive, feed } = fakeFeed();
    const handsets = watchHandsets(feed);
    // The pipeline was quicker than the answer: the SMS is there before the user waits for it.
    receive("6281200000001", "Your code is 123456", 10);
    const sms = await handsets.next("+6281200000001", 50);
    assert.deepEqual(sms, { at: 10, code: "123456" });
    assert.equal(handsets.duplicates(), 0);
    handsets.close();
  });

  it("give a waiting user the SMS when it comes, once, and count a second one as a duplicate", async () => {
    const { receive, feed } = fakeFeed();
    const handsets = watchHandsets(feed);
    const waiting = handsets.next("+6281200000002", 1_000);
    receive("6281200000002", "Your code is 654321", 20);
    assert.deepEqual(await waiting, { at: 20, code: "654321" });
    receive("6281200000002", "Your code is 654321", 30);
    assert.equal(handsets.duplicates(), 1);
    assert.equal(await handsets.next("+6281200000003", 20), undefined);
    handsets.close();
  });
});
