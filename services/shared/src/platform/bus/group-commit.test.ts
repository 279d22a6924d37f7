import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createGroupCommit, type TopicBatch } from "./group-commit";

describe("group commit", () => {
  it("sends a lone write at once and coalesces writes that arrive while one is in flight", async () => {
    const requests: TopicBatch<number>[][] = [];
    let release: (() => void) | undefined;
    const send = createGroupCommit<number>(async (batches) => {
      requests.push(batches);
      if (requests.length === 1) await new Promise<void>((r) => (release = r));
    });
    const first = send([{ topic: "a", messages: [1] }]);
    await new Promise((r) => setImmediate(r));
    assert.equal(requests.length, 1);
    const rest = [
      send([{ topic: "a", messages: [2] }]),
      send([{ topic: "b", messages: [3] }]),
      send([{ topic: "a", messages: [4, 5] }]),
    ];
    release!();
    await Promise.all([first, ...rest]);
    assert.equal(requests.length, 2);
    assert.deepEqual(requests[1], [
      { topic: "a", messages: [2, 4, 5] },
      { topic: "b", messages: [3] },
    ]);
  });

  it("keeps order, bounds a request's size, and fails only the writes of a failed request", async () => {
    const requests: number[][] = [];
    let calls = 0;
    let release: (() => void) | undefined;
    const send = createGroupCommit<number>(async (batches) => {
      calls++;
      if (calls === 1) await new Promise<void>((r) => (release = r));
      const messages = batches.flatMap((b) => b.messages);
      requests.push(messages);
      if (messages.includes(99)) throw new Error("broker said no");
    }, 3);
    const writes = [send([{ topic: "t", messages: [0] }])];
    await new Promise((r) => setImmediate(r));
    for (const m of [1, 2, 3, 99, 5]) writes.push(send([{ topic: "t", messages: [m] }]));
    release!();
    const results = await Promise.allSettled(writes);
    assert.deepEqual(requests, [[0], [1, 2, 3], [99, 5]]);
    assert.deepEqual(
      results.map((r) => r.status),
      ["fulfilled", "fulfilled", "fulfilled", "fulfilled", "rejected", "rejected"],
    );
  });
});
